/** The chunk behind tools.ts. */
export { ChangeFailed } from './ChangeFailed';
export { DeleteDialog } from './DeleteDialog';
export { MessageActions } from './MessageActions';
export { MessageEditor } from './MessageEditor';
export { ReplyPreview } from './ReplyPreview';
