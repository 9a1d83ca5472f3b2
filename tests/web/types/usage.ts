// SPDX-License-Identifier: Apache-2.0
// Uses presence.d.ts as an application would, every extension's method and event among
// it, so that `tsc --strict` checks the declarations: the right types are accepted, and the
// wrong ones (the @ts-expect-error lines) are refused. It is type-checked, never run.
import { PresenceClient } from '../../../web/presence.js';
import type { Member, MembersPage, MemberUpdate, PresenceOptions, State } from '../../../web/presence.js';

const options: PresenceOptions = {
  url: 'wss://example.com/',
  name: 'Ann',
  info: 'desk 4',
  guid: 'sales',
  user: 'ann',
  diffs: true,
  users: true,
  updates: true,
  resume: true,
  reconnect: { initialDelay: 500, maxDelay: 10_000 },
  acknowledgment: { enabled: true, retries: 3 },
  onInvitation: async (inviter: Member, channel: string) => inviter.user === 'bob' && channel !== '',
};
const client = new PresenceClient(options);
const version: string = PresenceClient.version;
const guid: string = client.guid;
const state: State = client.state;

function show(...parts: unknown[]): void {
  console.log(version, guid, state, ...parts);
}

async function useEverything(): Promise<void> {
  await client.connect();
  const me: Member | null = client.member;
  const user: string | undefined = me?.user;
  show(user);

  const page: MembersPage = await client.getMembersPage('stage', 100);
  const next: MembersPage = await client.getMembersPage('stage', 100, page.nextCursor);
  const ids: string[] = next.members.map((m: Member) => m.id);
  const count: number = await client.getCount('stage');
  const everyone: number = await client.getCount();
  const byUser: Member[] = await client.getUsers('stage');
  const all: Member[] = await client.getUsers();
  const audience: number = await client.setCountsOnly('stage', true);
  const update: MemberUpdate = { info: 'away' };
  client.updateMember(update);
  client.updateMember({ name: 'Anne' });
  show(ids, count, everyone, byUser, all, audience);

  const offs: Array<() => void> = [
    client.on('membersPage', (channel: string, members: Member[], nextCursor: string) => show(channel, members, nextCursor)),
    client.on('count', (channel: string, n: number) => show(channel, n.toFixed(0))),
    client.on('diff', (channel: string, joined: Member[], left: Member[], n: number) => show(channel, joined, left, n)),
    client.on('users', (channel: string, members: Member[]) => show(channel, members.map((m) => m.user))),
    client.on('memberUpdate', (member: Member) => show(member.name, member.info)),
  ];
  offs.forEach((off) => off());

  // @ts-expect-error: a limit is a number
  await client.getMembersPage('stage', '100');
  // @ts-expect-error: a page is not a list
  const notAList: Member[] = await client.getMembersPage('stage', 10);
  // @ts-expect-error: a count is a number
  const notText: string = await client.getCount('stage');
  // @ts-expect-error: on or off is a boolean
  await client.setCountsOnly('stage', 'on');
  // @ts-expect-error: only name and info can change
  client.updateMember({ id: 'someone else' });
  // @ts-expect-error: a diff's count is a number
  client.on('diff', (channel: string, joined: Member[], left: Member[], n: string) => show(channel, joined, left, n));
  // @ts-expect-error: no such event
  client.on('counts', () => {});
  // @ts-expect-error: users is a flag; the user is a string
  const wrong: PresenceOptions = { name: 'Ann', users: 'ann' };
  show(notAList, notText, wrong);
}

useEverything().catch(show);
