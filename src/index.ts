/** The terminal client and everything it is made of, usable without Node-RED. */
export * from './protocol';
export * from './transport/transport';
export * from './transport/tcp';
export * from './transport/serial';
export * from './client/terminal-client';
export * from './journal/journal';
export * from './simulator/simulator';
