import type { Command } from '../commands.ts';

export function runHelp(commands: Command[]): number {
  const width = Math.max(...commands.map((c) => c.name.length));
  console.log('Usage: ./sppo <command> [--key=value ...]\n');
  for (const command of commands) {
    const status = command.run ? '' : ' (not built yet)';
    console.log(`  ${command.name.padEnd(width)}  ${command.summary}${status}`);
  }
  return 0;
}
