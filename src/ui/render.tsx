import { render } from 'ink';
import { Dashboard } from './app.js';
import type { ViewName } from './view-names.js';
import type { DashboardSource } from './source.js';

export interface Running {
  stop(): void;
  done: Promise<void>;
}

/**
 * Draws the dashboard on the alternate screen (the terminal's content comes back on quit).
 * Resolves `done` when the user quits (q) or stop() is called.
 */
export function show(source: DashboardSource, title: string, live: boolean, initialView?: ViewName, opened: { endpoint?: string; event?: number } = {}): Running {
  const out = process.stdout;
  out.write('\x1b[?1049h\x1b[H');
  let restored = false;
  const restore = () => {
    if (!restored) out.write('\x1b[?1049l');
    restored = true;
  };
  process.once('exit', restore);
  const app = render(<Dashboard source={source} title={title} live={live} initialView={initialView} initialEndpoint={opened.endpoint} initialEvent={opened.event} />, {
    exitOnCtrlC: true,
    patchConsole: false,
  });
  const done = app.waitUntilExit().then(
    () => restore(),
    (err: unknown) => {
      restore();
      throw err;
    },
  );
  return { stop: () => app.unmount(), done };
}

