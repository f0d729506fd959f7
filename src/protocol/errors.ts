/**
 * Every way a request can end other than success, and what each says about the money.
 * `not-sent`: nothing reached the terminal. `failed`: the terminal said no.
 * `unknown`: the request was sent and we cannot know whether it went through.
 */
export type Outcome = 'failed' | 'not-sent' | 'unknown';

export type ErrorCode = 'TERMINAL' | 'BAD_XML' | 'INVALID_INPUT' | 'BUSY' | 'CONNECT' | 'TIMEOUT' | 'CONNECTION_LOST' | 'PROTOCOL' | 'DUPLICATE' | 'JOURNAL';

export const ERROR_OUTCOMES: Readonly<Record<ErrorCode, Outcome>> = {
  TERMINAL: 'failed',
  BAD_XML: 'failed',
  INVALID_INPUT: 'not-sent',
  BUSY: 'not-sent',
  CONNECT: 'not-sent',
  TIMEOUT: 'unknown',
  CONNECTION_LOST: 'unknown',
  PROTOCOL: 'unknown',
  DUPLICATE: 'not-sent',
  JOURNAL: 'not-sent',
};
