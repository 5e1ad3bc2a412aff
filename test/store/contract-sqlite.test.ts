// The shared store contract on the SQLite store, in a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import type { SqliteMarketStore } from '../../src/store/index.js';
import { describeStoreContract } from './contract.js';
import type { ContractContext } from './contract.js';

describeStoreContract('SQLite', async (context: ContractContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'spiralwatch-contract-'));
  const openHere = (): SqliteMarketStore =>
    openStore({
      dataDir: dir,
      retentionDays: 7,
      now: () => context.clock.now,
      onRejected: (error) => context.rejections.push(error),
    });
  let store = openHere();
  const handle = {
    store: store as SqliteMarketStore,
    async reopen() {
      store.close();
      store = openHere();
      return store;
    },
    async close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
});
