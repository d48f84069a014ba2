// The `sppo` command. The ./sppo wrapper installs Node and the workspace, then runs this file.
import { commands, findCommand } from './commands.ts';
import { UsageError } from './errors.ts';

async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...rest] = argv;
  const command = findCommand(name);
  if (!command) {
    console.error(`sppo: unknown command "${name}". Valid commands: ${commands.map((c) => c.name).join(', ')}.`);
    console.error('Run ./sppo help for a line on each.');
    return 2;
  }
  if (!command.run) {
    console.error(`sppo ${name}: not built yet (${command.summary}). See the open issues for its status.`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`sppo ${name}: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
