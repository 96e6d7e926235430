/** Types inferred from the schemas: the schemas are the single source. */
import type { Static } from '@sinclair/typebox';

import type * as S from './schemas.js';

export type User = Static<typeof S.UserSchema>;
export type Message = Static<typeof S.MessageSchema>;
export type ReplyRef = Static<typeof S.ReplyRefSchema>;
export type Reaction = Static<typeof S.ReactionSchema>;
export type RoomSummary = Static<typeof S.RoomSummarySchema>;

export type Hello = Static<typeof S.HelloSchema>;
export type Join = Static<typeof S.JoinSchema>;
export type Leave = Static<typeof S.LeaveSchema>;
export type ListRooms = Static<typeof S.ListRoomsSchema>;
export type Send = Static<typeof S.SendSchema>;
export type HistoryRequest = Static<typeof S.HistoryRequestSchema>;
export type TypingRequest = Static<typeof S.TypingRequestSchema>;
export type Ping = Static<typeof S.PingSchema>;
export type MembersRequest = Static<typeof S.MembersRequestSchema>;
export type EditRequest = Static<typeof S.EditSchema>;
export type DeleteRequest = Static<typeof S.DeleteSchema>;
export type ReactRequest = Static<typeof S.ReactSchema>;
export type ClientMessage = Static<typeof S.ClientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];

export type Welcome = Static<typeof S.WelcomeSchema>;
export type WelcomeLimits = Static<typeof S.WelcomeLimitsSchema>;
export type RoomList = Static<typeof S.RoomListSchema>;
export type Joined = Static<typeof S.JoinedSchema>;
export type Left = Static<typeof S.LeftSchema>;
export type Ack = Static<typeof S.AckSchema>;
export type MessageEvent = Static<typeof S.MessageEventSchema>;
export type HistoryPage = Static<typeof S.HistoryPageSchema>;
export type Presence = Static<typeof S.PresenceSchema>;
export type TypingEvent = Static<typeof S.TypingEventSchema>;
export type Pong = Static<typeof S.PongSchema>;
export type MemberPage = Static<typeof S.MemberPageSchema>;
export type Roster = Static<typeof S.RosterSchema>;
export type Renamed = Static<typeof S.RenamedSchema>;
export type Update = Static<typeof S.UpdateSchema>;
export type ErrorMessage = Static<typeof S.ErrorSchema>;
export type ServerMessage = Static<typeof S.ServerMessageSchema>;
export type ServerMessageType = ServerMessage['type'];

/** A server message of one `type`. */
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>;
/** A client message of one `type`. */
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;
