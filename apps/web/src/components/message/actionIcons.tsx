/** The icons of a message's actions: in the tools chunk with them (tools.ts). Decorative: always aria-hidden. */
import { Icon } from '../icons';

export const EditIcon = ({ size = 16 }: { size?: number }) => (
  <Icon size={size}>
    <path d="M12 20h9" />
    <path d="M16.5 3.5a2.12 2.12 0 0 1 3 3L7 19l-4 1 1-4Z" />
  </Icon>
);

export const TrashIcon = ({ size = 16 }: { size?: number }) => (
  <Icon size={size}>
    <path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6" />
  </Icon>
);

export const SmileIcon = ({ size = 16 }: { size?: number }) => (
  <Icon size={size}>
    <circle cx="12" cy="12" r="9" />
    <path d="M8.5 14a4 4 0 0 0 7 0M9 9.5h.01M15 9.5h.01" />
  </Icon>
);

export const MoreIcon = ({ size = 18 }: { size?: number }) => (
  <Icon size={size}>
    <path d="M5 12h.01M12 12h.01M19 12h.01" />
  </Icon>
);
