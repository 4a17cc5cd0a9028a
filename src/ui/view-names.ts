/** The dashboard's views, for `ui --view` (here, apart from the views, so the CLI can offer them without loading ink). */
export const VIEWS = ['overview', 'endpoints', 'endpoint', 'flow', 'events', 'messages'] as const;
export type ViewName = (typeof VIEWS)[number];
