'use strict';

/** The child elements of each request, in order, as the seed shows them: the tests' own oracle. */
const CHILDREN = {
  pay: ['invoice', 'sum', 'receipt', 'custrcpt'],
  refund: ['invoice', 'sum', 'receipt', 'custrcpt'],
  preauth: ['invoice', 'sum', 'receipt', 'custrcpt'],
  complete: ['preauthcode', 'sum', 'receipt', 'custrcpt'],
  cancel: ['preauthcode', 'receipt', 'custrcpt'],
};

module.exports = { CHILDREN };
