// SPDX-License-Identifier: Apache-2.0
// Type declarations for presence.js, the browser client of the Presence protocol
// (sgcWebSockets Presence, sub-protocol presence.esegece.com; see docs/protocol.md).

/** A member as the server knows it. `id` is the member's session id. */
export interface Member {
  id: string;
  name: string;
  /** Free text; the Delphi client joins a string list with "\r\n". */
  info: string;
  /**
   * Extension `users`: the user this connection belongs to; the members of one user are
   * listed together and, with options.users, announced once. '' for a member on its own.
   */
  user: string;
}

/** Extension: one page of a channel's members (getMembersPage). */
export interface MembersPage {
  /** In the order of their ids. */
  members: Member[];
  /** Asks for the next page; '' after the last one. */
  nextCursor: string;
}

/** What updateMember() changes; a field left out keeps its value. */
export interface MemberUpdate {
  name?: string;
  info?: string;
}

/**
 * - `disconnected`: not connected (before connect(), or after a failure with reconnect off)
 * - `connecting`: connect() is opening the WebSocket and joining
 * - `connected`: joined: `sessionId` and `member` are set
 * - `reconnecting`: the connection dropped (or the first attempt failed); retrying, and
 *   resuming the member when the server allows it
 * - `closed`: close() was called; no reconnect
 */
export type State = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** An error the server answered with. */
export interface RemoteError {
  code: number;
  text: string;
}

export interface AcknowledgmentOptions {
  /** Put an id on every request and re-send it until acknowledged. Default false. */
  enabled?: boolean;
  /** Milliseconds between re-send rounds. Default 300000. */
  interval?: number;
  /** Milliseconds without acknowledgment before a request is re-sent. Default 240000. */
  timeout?: number;
  /** Re-sends before a request is dropped (reported as 'error'); 0 = no limit. Default 5. */
  retries?: number;
}

export interface ReconnectOptions {
  /** Reconnect after an unexpected drop. Default true. */
  enabled?: boolean;
  /** Milliseconds before the first retry; doubles with each failure, with jitter. Default 500. */
  initialDelay?: number;
  /** Upper bound of the delay in milliseconds. Default 10000. */
  maxDelay?: number;
}

/** The subset of the WebSocket API presence.js uses (browsers' and `ws`'s both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface PresenceOptions {
  /** ws:// or wss:// URL. Default in a browser: the page's host; required elsewhere. */
  url?: string;
  /** Presence name. */
  name: string;
  /**
   * The server's namespace (its Guid: 1 to 100 characters a sub-protocol allows); the
   * client offers the sub-protocol GUID.presence.esegece.com. Default '': the default one.
   */
  guid?: string;
  /**
   * A signed token (JWT) for a server that requires one; sent as the `token` query
   * parameter. Its claims may fix the member's id, name and info. See setToken().
   */
  token?: string;
  /** Presence info. Default ''. */
  info?: string;
  /**
   * Extension `users`: the user this member belongs to, e.g. the same for every tab of
   * one person. Default '': none. A signed token's user claim takes precedence.
   */
  user?: string;
  /**
   * Extension `users`: other users' joins and leaves arrive once per user (its first
   * connection in, its last one out) instead of once per connection, when the server
   * offers it. Default false.
   */
  users?: boolean;
  /**
   * Extension `diffs`: other members' joins and leaves arrive summed up per channel and
   * interval ('diff') instead of one by one, when the server offers it. This client's own
   * joins and subscriptions are still confirmed one by one. Default false.
   */
  diffs?: boolean;
  /**
   * Extension `updates`: members' changes of their name or info arrive ('memberUpdate'),
   * this client's own included, when the server offers it. Default false.
   */
  updates?: boolean;
  /**
   * Base64-encode every non-empty string the client sends ("sgc@b64:" + Base64 of UTF-8).
   * Encoded strings received are always decoded. Default false.
   */
  encodeBase64?: boolean;
  acknowledgment?: AcknowledgmentOptions;
  reconnect?: ReconnectOptions;
  /** Milliseconds allowed for opening and joining, and for the closing handshake. Default 10000. */
  connectTimeout?: number;
  /**
   * Extension `heartbeat`, used when the server names it: milliseconds without any frame
   * from the server before the client sends `ext@presence@ping`. 0 = no heartbeat.
   * Default 15000.
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds after a ping without any frame before the connection counts as dead: an
   * 'error' is emitted and the client reconnects (and resumes). Default 10000.
   */
  heartbeatTimeout?: number;
  /**
   * Extension `resume`, used when the server names it: after a connection is lost without
   * a closing handshake (close code 1006, or a heartbeat timeout) the client comes back as
   * the same member, unseen by the others, and gets the frames it missed ('resumed'), or
   * fresh member lists when the server no longer holds them ('resync'). When the server
   * no longer holds the member, it joins afresh ('session'). Default true.
   * A page that goes away should call close() (on 'pagehide'): a socket the browser merely
   * drops looks lost, and the server keeps the member for its grace period.
   */
  resume?: boolean;
  /** WebSocket constructor to use. Default globalThis.WebSocket; in Node pass `ws`'s. */
  WebSocket?: new (url: string, protocols?: string | string[]) => WebSocketLike;
  /**
   * Decides an invitation: true accepts (the client subscribes to the channel). Unset,
   * false, a rejected promise or a throw refuse; a refusal is told to the inviter only when
   * the server announced the invitation-response extension.
   */
  onInvitation?: (inviter: Member, channel: string) => boolean | Promise<boolean>;
}

export interface PresenceEvents {
  /** Every change of `state`. */
  state: (state: State) => void;
  /** The WebSocket is open (joining, or resuming, follows). */
  connect: () => void;
  /** An open WebSocket closed; code 1006 when it dropped without a close frame. */
  disconnect: (event: { code: number; reason: string }) => void;
  /** Joined; after a reconnect that did not resume again, with the new session id. */
  session: (sessionId: string) => void;
  /**
   * Extension: reconnected as the same member (same session id, same channels; no
   * 'session'). The frames missed in between follow as the usual events: nothing is lost.
   */
  resumed: () => void;
  /**
   * Extension: reconnected as the same member (same session id, same channels; no
   * 'session'), but frames were lost in between. A 'members' event for each of the
   * member's channels follows; refresh everything else (e.g. getMembers('')).
   */
  resync: () => void;
  /** Transport or protocol trouble, heartbeat timeouts, bad frames, dropped requests, calls while not connected. */
  error: (message: string) => void;
  /** Someone joined (this client included). */
  memberNew: (member: Member) => void;
  /** Someone left. */
  memberRemove: (member: Member) => void;
  channelMemberNew: (channel: string, member: Member) => void;
  channelMemberRemove: (channel: string, member: Member) => void;
  /** `channel` is '' for a message to every member. */
  publish: (channel: string, sender: Member, text: string) => void;
  /** A member list the server sent (the answer to getMembers, or after a 'resync'). */
  members: (channel: string, members: Member[]) => void;
  errorMemberChannel: (channel: string, member: Member, code: number, text: string) => void;
  errorPublish: (channel: string, member: Member, text: string, code: number, errorText: string) => void;
  /** Informational: onInvitation decides. */
  invitation: (inviter: Member, channel: string) => void;
  /** Extension: how someone this client invited answered. */
  invitationResponse: (invitee: Member, channel: string, accepted: boolean, error: RemoteError | null) => void;
  /** Extension: a page of members, the answer to getMembersPage. */
  membersPage: (channel: string, members: Member[], nextCursor: string) => void;
  /**
   * Extension: a channel's member count (every member's when `channel` is ''): the answer
   * to getCount and setCountsOnly, then, for a counts-only channel, each time it changed.
   */
  count: (channel: string, count: number) => void;
  /**
   * Extension (options.diffs): who joined and who left `channel` (presence as a whole
   * when '') over one interval, and its member count after. Apply `left` first, then
   * `joined`, both as set operations; a member may be in both (it left and came back).
   */
  diff: (channel: string, joined: Member[], left: Member[], count: number) => void;
  /**
   * Extension: the answer to getUsers: the members with those of one user next to each
   * other (Member.user), members of no user on their own.
   */
  users: (channel: string, members: Member[]) => void;
  /** Extension (options.updates): a member, this client included, changed its name or info; as it is now. */
  memberUpdate: (member: Member) => void;
}

export class PresenceClient {
  /** Throws TypeError without a url outside a browser, without a WebSocket, or with a bad guid. */
  constructor(options: PresenceOptions);

  /**
   * Connects and joins; resolves once joined. With reconnect on it keeps trying until it
   * succeeds; it rejects on close(), or on failure when reconnect is off.
   */
  connect(): Promise<void>;
  /** Closes with 1000 and stops reconnecting; resolves once closed. */
  close(): Promise<void>;

  subscribe(channel: string): void;
  unsubscribe(channel: string): void;
  /** To `channel`'s members, or to every member when `channel` is '' (the default). */
  publish(text: string, channel?: string): void;
  invite(channel: string, memberId: string | string[]): void;
  /**
   * The members of `channel`, or every member when '' (the default). Also emitted as
   * 'members'. Rejects with an Error carrying `code` (5 or 30) when the server refuses,
   * and when not connected or the connection drops.
   */
  getMembers(channel?: string): Promise<Member[]>;
  /**
   * Extension: up to `limit` members of `channel` ('' for every member) in the order of
   * their ids, after `cursor` (the previous page's nextCursor; '' or left out for the
   * first). Also emitted as 'membersPage'. Rejects with a RangeError when `limit` is not
   * a positive integer, and like getMembers (codes 5, 30, and -32602 for a limit above the
   * server's).
   */
  getMembersPage(channel: string, limit: number, cursor?: string): Promise<MembersPage>;
  /**
   * Extension: the member count of `channel` (every member's when '', the default); a
   * channel that does not exist has 0. Also emitted as 'count'. Rejects with code 30 when
   * the server refuses, and when not connected or the connection drops.
   */
  getCount(channel?: string): Promise<number>;
  /**
   * Extension: the members of `channel` (every member when '', the default) by user. Also
   * emitted as 'users'. Rejects like getMembers.
   */
  getUsers(channel?: string): Promise<Member[]>;
  /**
   * Extension: with `on`, the announcements of `channel` to this member are replaced by its
   * count, emitted as 'count' when it changed (at most once per diff interval). Resolves
   * with the count the server answers with. It lasts as long as the connection; a member
   * that joins afresh ('session') asks again.
   */
  setCountsOnly(channel: string, on: boolean): Promise<number>;
  /**
   * Extension: changes this member's name and/or info. The server may keep what a token
   * fixes, and limits how often (error 45, as 'errorMemberChannel'). The client joins with
   * the new values from now on; `member` shows them once the server confirms (a
   * 'memberUpdate' about this client, with options.updates).
   */
  updateMember(update: MemberUpdate): void;
  /** Sends `text` as one frame, exactly as given. */
  writeData(text: string): void;
  /** The token presented from the next connection (and reconnection) on. */
  setToken(token: string): void;

  /** This library's version. */
  static readonly version: string;

  readonly state: State;
  /** options.guid: the server's namespace; '' for the default one. */
  readonly guid: string;
  /** This member's id; '' until joined, and while reconnecting. */
  readonly sessionId: string;
  /** This client as a member; null until joined. */
  readonly member: Member | null;
  /**
   * The channels this member is in (a copy), kept across reconnects: a resumed member is
   * still in them; a new member subscribes to them again.
   */
  readonly channels: ReadonlySet<string>;

  /** Adds a handler; returns a function that removes it. */
  on<E extends keyof PresenceEvents>(event: E, handler: PresenceEvents[E]): () => void;
  off<E extends keyof PresenceEvents>(event: E, handler: PresenceEvents[E]): void;
}
