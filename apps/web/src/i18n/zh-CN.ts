/**
 * Simplified Chinese. A module of its own so that English readers do not
 * download it: main.tsx imports it only when the browser prefers Chinese.
 */
import type { Messages } from './messages';

/** 5012 → "5,012". */
const count = (n: number): string => n.toLocaleString('zh-CN');

// A Map: the code comes from the server, and `{}["constructor"]` is not a reason.
const errorReasonsZh: ReadonlyMap<string, string> = new Map([
  ['rate_limited', '发送太快了'],
  ['text_too_long', '消息太长'],
  ['empty_text', '消息为空'],
  ['not_in_room', '你不在这个房间'],
  ['invalid_room', '房间名无效'],
  ['not_found', '消息已不存在'],
  ['forbidden', '只有作者可以这样做'],
  ['invalid_reaction', '这不是有效的表情回应'],
  ['too_many_reactions', '这条消息的表情回应种类太多'],
  ['bad_request', '服务器不支持'],
]);

export const zhCN: Messages = {
  appName: 'Tether',
  tagline: '实时聊天，网络中断也不会丢失消息。',

  nameTitle: '欢迎使用 Tether',
  nameIntro: '起一个名字就可以开始聊天。在这台设备上会保持登录。',
  nameLabel: '你的名字',
  nameHint: '最多 32 个字符。其他人会在你的消息旁看到它。',
  nameSubmit: '加入聊天',
  nameSubmitting: '正在加入…',
  nameTaken: (name) => `“${name}”已被其他人使用。名字不能重复，请换一个。`,
  nameInvalid: '这个名字不能使用。请用 1–32 个看得见的字符，不含控制字符、不可见字符或改变文字方向的字符。',
  nameRateLimited: (m) =>
    `你所在的网络刚刚有太多新用户加入。${m === null ? '请稍后再试。' : `请约 ${m} 分钟后再试。`}`,

  changeName: '修改名字',
  newName: '新名字',
  saveName: '保存',
  savingName: '正在保存…',
  cancel: '取消',
  renameRateLimited: (m) => `改名太频繁了。${m === null ? '请稍后再试。' : `约 ${m} 分钟后可以再改。`}`,

  connected: '已连接',
  connecting: '正在连接…',
  reconnectingIn: (s) => `${s} 秒后重新连接`,
  reconnectingNow: '正在重新连接…',
  restarting: '服务器正在重启…正在重新连接',
  offline: '离线',
  offlineHint: '设备已离线。网络恢复后 Tether 会自动重新连接。',
  failed: (reason) => `离线：服务器关闭了连接（${reason}）。请刷新页面重试。`,
  retryNow: '立即重试',
  queuedHint: '你写的消息会保留，连接恢复后自动发送。',
  rtt: (ms) => `${ms} 毫秒`,
  rttLabel: '往返延迟',

  rooms: '房间',
  roomName: '房间名',
  roomPlaceholder: 'new-room',
  roomHint: '小写字母、数字、“-”和“_”，最多 32 个。',
  joinRoom: '加入房间',
  unread: (n) => `${n} 条未读消息`,
  leaveRoom: (room) => `离开 #${room}`,
  noRooms: '你还没有加入任何房间。',
  otherRooms: '更多房间',
  tooManyRooms: '你加入的房间已达上限（20 个）。请先离开一个房间。',
  roomError: (room, code) =>
    code === 'too_many_rooms'
      ? `无法加入 #${room}：加入的房间太多。`
      : code === 'rate_limited'
        ? `正在加入 #${room}：服务器要求放慢速度，稍后会自动重试…`
        : `无法加入 #${room}（${code}）。`,
  pickRoom: '加入一个房间开始聊天。',
  joinNamed: (room) => `加入 #${room}`,
  searchRooms: '搜索房间',
  noRoomsMatch: (query) => `没有以“${query}”开头的房间。`,
  showMoreRooms: '显示更多房间',

  members: '成员',
  membersCount: (n) => `${count(n)} 位成员`,
  membersShown: (shown, total) => `共 ${count(total)} 位成员，显示 ${count(shown)} 位`,
  searchMembers: '搜索成员',
  noMembersMatch: (query) => `没有名字以“${query}”开头的成员。`,
  showMoreMembers: '显示更多成员',
  you: '你',

  loadingMore: '加载中…',
  searching: '正在搜索…',
  loadFailed: (code) => (code === 'rate_limited' ? '服务器繁忙，请稍后重试。' : `无法加载列表（${code}）。`),

  messages: '消息列表',
  loadOlder: '加载更早的消息',
  loadingOlder: '正在加载更早的消息…',
  beginning: (room) => `这是 #${room} 的开始。`,
  empty: '还没有消息，打个招呼吧！',
  newMessages: (n) => `${n} 条新消息`,
  jumpToLatest: '跳到最新',
  sending: '发送中…',
  notSent: '未发送',
  notSentReason: (code) => errorReasonsZh.get(code) ?? code,
  retry: '重试',
  discard: '删除',
  today: '今天',
  yesterday: '昨天',

  reply: '回复',
  edit: '编辑',
  delete: '删除',
  addReaction: '添加表情回应',
  messageActions: '消息操作',
  editMessage: '编辑消息',
  editHint: 'Enter 保存，Esc 取消',
  save: '保存',
  edited: '（已编辑）',
  messageDeleted: '消息已删除',
  deleteTitle: '删除消息？',
  deleteBody: '房间里的所有人都将看不到这条消息。此操作无法撤销。',
  replyingTo: (name) => `回复 ${name}`,
  cancelReply: '取消回复',
  replyQuote: (name) => `回复 ${name}：`,
  reactionPill: (emoji, n) => `${emoji} ${count(n)}`,
  whoReacted: (names, others, emoji) =>
    `${names.join('、')}${others > 0 ? ` 等 ${count(names.length + others)} 人` : ''}用 ${emoji} 回应了`,
  moreEmoji: '更多表情',
  searchEmoji: '搜索表情',
  noEmoji: '没有找到表情',
  emojiLoading: '正在加载表情…',
  saving: '保存中…',
  changeFailed: (kind) => (kind === 'edit' ? '编辑未保存' : kind === 'delete' ? '未删除' : '表情回应未保存'),

  message: '消息',
  messagePlaceholder: (room) => `发送消息到 #${room}`,
  send: '发送',
  charsLeft: (n) => `还可输入 ${n} 个字符`,
  tooLong: (n) => `超出 ${n} 个字符`,
  outboxFull: '等待发送的消息太多了。请等连接恢复，或删除一些未发送的消息。',
  notInRoom: '你已不在这个房间。重新加入后才能发送。',
  composerHint: 'Enter 发送，Shift+Enter 换行',

  typing1: (a) => `${a} 正在输入…`,
  typing2: (a, b) => `${a} 和 ${b} 正在输入…`,
  typingMany: (a, b, n) => `${a}、${b} 等 ${n + 2} 人正在输入…`,

  openRooms: '显示房间',
  openMembers: '显示成员',
  close: '关闭',
  signOut: '退出登录',
  signedInAs: (name) => `当前用户：${name}`,
  skipToComposer: '跳到输入框',
  updateReady: 'Tether 有新版本可用。',
  reload: '刷新',
  dismiss: '关闭',
};
