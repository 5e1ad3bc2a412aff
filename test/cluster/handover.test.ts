// A deploy on several instances: the leader stopped with SIGTERM gives up its lock and lease at once, the other
// instance leads at its next try (every 5 s), well before the 15 s lease would have run out, and takes Telegram long
// polling with it.
import { afterAll, describe, expect, it } from 'vitest';
import { startCluster, until, type Cluster } from './failover-harness.js';

const TOKEN = '7000000004:AAFakeTokenForHandoverTestOnly_abcdefg';
const CHAT = 5201;

let cluster: Cluster | undefined;

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

describe('two instances on one Postgres during a deploy', () => {
  it('hands the lead over within seconds of a SIGTERM, and the new leader answers Telegram', async () => {
    const c = await startCluster({ token: TOKEN, scenario: 'calm', speed: 10 });
    cluster = c;
    const instances = await Promise.all(['a', 'b'].map((id) => c.spawn(id)));
    const roles = await until(
      async () => {
        const said = (await Promise.all(instances.map((i) => i.health()))).map((s) => (s.ok ? s.role : undefined));
        return said.includes('leader') && said.includes('follower') ? said : undefined;
      },
      60_000,
      'a leader and a follower',
      200,
    );
    const leader = instances[roles.indexOf('leader')];
    const follower = instances[roles.indexOf('follower')];
    if (leader === undefined || follower === undefined) throw new Error('no roles');

    // The leader is polling and writing.
    await until(
      async () => {
        const result = await c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM snapshots');
        return (result.rows[0]?.n ?? 0) > 0 ? true : undefined;
      },
      30_000,
      'snapshots in Postgres',
    );
    const led = () => follower.logs().filter((line) => line.msg === 'leading: polling the venues and scoring');
    expect(led()).toEqual([]);

    leader.child.kill('SIGTERM');
    const stoppedAt = Date.now();
    expect(await leader.exited).toBe(0);
    await until(
      async () => {
        const sample = await follower.health();
        return sample.ok && sample.role === 'leader' ? true : undefined;
      },
      10_000,
      'the follower leading',
      50,
    );
    const handoverMs = Date.now() - stoppedAt;
    console.info(`[handover] ${leader.id} stopped, ${follower.id} leads after ${handoverMs} ms`);
    // Below the 15 s lease: the lock and the lease were given up, not waited out.
    expect(handoverMs).toBeLessThan(8_000);
    expect(led()).toHaveLength(1);
    expect(leader.stderr()).toContain('"msg":"leader election: following"');

    // The new leader answers Telegram (long polling moved with the lead).
    c.telegram.pushUpdate({
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: CHAT, type: 'private', first_name: 'T' },
        from: { id: CHAT, is_bot: false, first_name: 'T' },
        text: '/market BTC',
        entities: [{ type: 'bot_command', offset: 0, length: 7 }],
      },
    });
    await c.telegram.waitFor(() => c.telegram.messagesTo(CHAT).length === 1, 30_000);
    expect(c.telegram.messagesTo(CHAT)[0]?.text).toMatch(/mark [\d,.]+/);
    expect(c.telegram.conflictsAnswered).toBe(0);
  }, 180_000);
});
