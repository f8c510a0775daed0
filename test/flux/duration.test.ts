import { Duration } from 'cdk8s';
import { renderDuration } from '../../src/flux/core/duration.js';

describe('renderDuration', () => {
  test.each([
    [Duration.minutes(5), '5m'],
    [Duration.seconds(90), '1m30s'],
    [Duration.hours(1), '1h'],
    [Duration.minutes(90), '1h30m'],
    [Duration.days(1), '24h'],
    [Duration.millis(1500), '1s500ms'],
    [Duration.millis(250), '250ms'],
    ['10m', '10m'],
  ])('renders %s as %s', (value, expected) => {
    expect(renderDuration(value)).toBe(expected);
  });
});
