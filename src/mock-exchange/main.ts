// `npm run mock-exchange -- --scenario FILE [--port N] [--speed X]`: serves a scenario on 127.0.0.1 until SIGINT,
// printing the origin and the EXCHANGE_ORIGIN_OVERRIDES value that points Spiralwatch at it.
import { parseArgs } from 'node:util';
import { loadScenario } from './scenario.js';
import { startMockExchange } from './server.js';

const USAGE = 'usage: npm run mock-exchange -- --scenario FILE [--port N] [--speed X]';

async function main(argv: readonly string[]): Promise<number> {
  let values: { scenario?: string; port?: string; speed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        scenario: { type: 'string', short: 's' },
        port: { type: 'string', short: 'p' },
        speed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help === true) {
    console.log(USAGE);
    return 0;
  }
  if (values.scenario === undefined) {
    console.error(`--scenario is required\n${USAGE}`);
    return 2;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be an integer from 0 to 65535\n${USAGE}`);
    return 2;
  }
  if (!(speed > 0)) {
    console.error(`--speed must be a positive number\n${USAGE}`);
    return 2;
  }
  const scenario = await loadScenario(values.scenario);
  const mock = await startMockExchange({ scenario, port, speed });
  console.log(
    `mock exchange "${scenario.name}" on ${mock.origin} (speed ${speed}x, scenario starts ${scenario.start})`,
  );
  console.log(`EXCHANGE_ORIGIN_OVERRIDES='${JSON.stringify(mock.overrides())}'`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await mock.close();
  console.log('mock exchange stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  },
);
