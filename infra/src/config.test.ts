import { expect, test } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, resolveStackConfig } from './config.ts';

test('no context gives the defaults', () => {
  expect(resolveStackConfig({})).toEqual(DEFAULT_CONFIG);
});

test('values from -c arrive as strings and are converted; cdk.json values are typed', () => {
  const config = resolveStackConfig({ prefix: 'team-a', maxGeneratorTasks: '8', natGateways: 0, inferenceInstanceType: 'g5.xlarge', alarmEmail: 'ops@example.com' });
  expect(config).toMatchObject({ prefix: 'team-a', maxGeneratorTasks: 8, natGateways: 0, inferenceInstanceType: 'g5.xlarge', alarmEmail: 'ops@example.com' });
});

test('every invalid value is reported at once, with the valid values', () => {
  let error: unknown;
  try {
    resolveStackConfig({ prefix: 'Bad_Prefix', trainerInstanceType: 'm5.large', maxJudgeTasks: '0', stuckTrainMinutes: 'soon', alarmEmail: 'nobody' });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const issues = (error as ConfigError).issues;
  expect(issues).toHaveLength(5);
  expect(issues[0]).toMatch(/^prefix: .*lowercase/);
  expect(issues.find((i) => i.startsWith('trainerInstanceType'))).toMatch(/g4dn, g5, g6/);
  expect(issues.find((i) => i.startsWith('maxJudgeTasks'))).toMatch(/integer from 1 to 100 \(default 4\)/);
  expect(issues.find((i) => i.startsWith('stuckTrainMinutes'))).toContain('"soon"');
  expect((error as Error).message).toContain('alarmEmail');
});

test('events min above max is refused', () => {
  expect(() => resolveStackConfig({ eventsMinTasks: 3, eventsMaxTasks: 2 })).toThrow(/eventsMinTasks \(3\) exceeds eventsMaxTasks \(2\)/);
});

test('an ARM GPU family (g5g) is refused: the images are linux/amd64', () => {
  expect(() => resolveStackConfig({ inferenceInstanceType: 'g5g.xlarge' })).toThrow(ConfigError);
});
