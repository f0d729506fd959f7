'use strict';
// Preloaded (`node --require`) into the documentation's snippets when the docs test runs them: a
// TCP connection to anything but this machine's loopback fails at once instead of leaving it. A
// snippet that ignored MYPOS_HOST would otherwise try its example address (192.168.1.50), which is
// a real private address on someone's network. Local sockets (a path, like the journal's lock) pass.
const net = require('node:net');

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function (...args) {
  // net.createConnection passes its normalized arguments as one array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = first !== null && typeof first === 'object' ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  if (options.path === undefined && options.host !== undefined && !LOOPBACK.test(String(options.host))) {
    throw new Error(`docs test: a snippet tried to connect to ${options.host}; only 127.0.0.1 may be reached here`);
  }
  return connect.apply(this, args);
};
