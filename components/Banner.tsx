// The demo banner, on every screen of the demo.
import { Text } from 'ink';
import { DEMO_BANNER } from '../src/wizard.js';
import { truncate } from './text-layout.js';

export function Banner({ columns }: { columns: number }) {
  return (
    <Text backgroundColor="yellow" color="black" bold wrap="truncate-end">
      {truncate(` ${DEMO_BANNER} `, columns)}
    </Text>
  );
}
