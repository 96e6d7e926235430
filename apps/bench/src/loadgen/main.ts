/**
 * The load generator process: started by the orchestrator (pinned to its
 * own core), it runs the commands it is sent over IPC against one server and
 * answers each with its result. It exits when the orchestrator goes away.
 */
import type { CommandName, Commands, Reply, Request } from './commands.js';
import { runFanout } from './fanout.js';
import { Fleet } from './fleet.js';
import { runIngest } from './ingest.js';
import { ResumeRun } from './resume.js';

const fleet = new Fleet();
let resume: ResumeRun | undefined;

function resumeRun(): ResumeRun {
  if (!resume) throw new Error('trafficStart first');
  return resume;
}

type Handlers = { [K in CommandName]: (args: Commands[K][0]) => Commands[K][1] | Promise<Commands[K][1]> };

const handlers: Handlers = {
  connect: (args) => fleet.connect(args),
  quiesce: (args) => fleet.quiesce(args),
  fanout: (args) => runFanout(fleet, args),
  ingest: (args) => runIngest(fleet, args),
  trafficStart: (args) => {
    resume = new ResumeRun(fleet);
    return resume.start(args);
  },
  markRestart: () => resumeRun().markRestart(),
  awaitResumed: (args) => resumeRun().awaitResumed(args),
  trafficStop: () => resumeRun().stop(),
  verify: (args) => resumeRun().verify(args),
  close: (args) => ({ closed: fleet.closeAll(args.graceful) }),
};

function reply(message: Reply): void {
  process.send?.(message);
}

process.on('message', (raw: unknown) => {
  const request = raw as Request;
  const handler = handlers[request.cmd] as (args: unknown) => unknown;
  Promise.resolve()
    .then(() => handler(request.args))
    .then(
      (result) => reply({ seq: request.seq, ok: true, result }),
      (error: unknown) =>
        reply({ seq: request.seq, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
});

// The orchestrator is gone (finished, crashed or killed): so are we.
process.on('disconnect', () => process.exit(0));
