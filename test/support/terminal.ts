/**
 * A shell prefix that runs a command without the variables Ink reads as "in CI" (CI,
 * CONTINUOUS_INTEGRATION, CI_*): there Ink draws only its last frame, and the dashboard tests
 * run it as in an analyst's terminal, inside tmux, even on the CI machine.
 */
export const withoutCi = `env ${['CI', 'CONTINUOUS_INTEGRATION', ...Object.keys(process.env).filter((k) => k.startsWith('CI_'))].map((k) => `-u ${k}`).join(' ')}`;
