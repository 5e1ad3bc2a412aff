// A separate process in the leader election, for the kill -9 test: argv is <url> <instanceId> <leaseMs>. It prints
// one line per change of role ("leader <id>" / "follower <id>") and runs until it is killed.
import { startLeaderElection } from '../../src/cluster/leader.js';

const [url, instanceId, leaseText] = process.argv.slice(2);
if (url === undefined || instanceId === undefined) {
  process.stderr.write('usage: leader-child.ts <url> <instanceId> [leaseMs]\n');
  process.exit(2);
}

startLeaderElection({
  url,
  name: 'spiralwatch',
  instanceId,
  leaseMs: Number(leaseText ?? 1_500),
  onRoleChange: (role) => process.stdout.write(`${role} ${instanceId}\n`),
  log: { info: () => undefined, warn: (message) => process.stderr.write(`${message}\n`) },
});
