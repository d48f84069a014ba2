import { runBench } from './commands/bench.ts';
import { runDemoCommand } from './commands/demo.ts';
import { runDeploy } from './commands/deploy.ts';
import { runGenerate } from './commands/generate.ts';
import { runHelp } from './commands/help.ts';
import { runInitModel } from './commands/init-model.ts';
import { runJudge } from './commands/judge.ts';
import { runJudgeTrain } from './commands/judge-train.ts';
import { runScore } from './commands/score.ts';
import { runServe } from './commands/serve.ts';
import { runSft } from './commands/sft.ts';
import { runRun } from './commands/run.ts';
import { runTest } from './commands/test.ts';
import { runUp } from './commands/up.ts';
import { runTrain } from './commands/train.ts';

export interface Command {
  name: string;
  summary: string;
  /** Absent while the command is not built yet: the CLI says so and exits 2. */
  run?: (args: string[]) => Promise<number>;
}

export const commands: Command[] = [
  { name: 'help', summary: 'list the commands', run: async () => runHelp(commands) },
  { name: 'test', summary: 'run every test of the workspace; ends with "N passed, N failed"', run: runTest },
  { name: 'demo', summary: 'run a real multi-round SPPO run on the embedded task and print the report (--keep: then leave it up with the dashboard)', run: runDemoCommand },
  { name: 'up', summary: 'start the emulator, the gateway (API + dashboard) and one worker of each service on loopback', run: runUp },
  { name: 'run', summary: 'submit a run recipe (YAML) to a gateway and follow it to the end', run: runRun },
  { name: 'init-model', summary: 'write a random-init checkpoint folder (a preset, or a published config.json of any supported family)', run: runInitModel },
  { name: 'score', summary: 'summed log-probabilities of responses under a checkpoint', run: runScore },
  { name: 'generate', summary: 'sample K responses per prompt from a checkpoint', run: runGenerate },
  { name: 'sft', summary: 'supervised fine-tuning of a checkpoint on prompt/response rows', run: runSft },
  { name: 'train', summary: 'one SPPO round (or DPO/IPO) from a triplets file to a new checkpoint', run: runTrain },
  { name: 'judge', summary: 'score a generations file with a pairwise judge and write triplets', run: runJudge },
  { name: 'judge-train', summary: 'train a mini-PairRM pairwise judge from preference pairs', run: runJudgeTrain },
  { name: 'serve', summary: 'serve a checkpoint (OpenAI-compatible API) or a judge (compare/rank API) over HTTP', run: runServe },
  { name: 'bench', summary: 'run a benchmark against its peer and print JSON (./sppo bench NAME)', run: runBench },
  { name: 'deploy', summary: 'deploy the CDK stack and the gateway worker (--dry-run: synth and bundle only)', run: runDeploy },
];

export function findCommand(name: string): Command | undefined {
  return commands.find((command) => command.name === name || (name === '--help' && command.name === 'help'));
}
