/** The myPOS SDK's transaction result codes, which the app passes through as `<status>`. */
export const STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'TRANSACTION_SUCCESS',
  1: 'TRANSACTION_CANCELED',
  2: 'TRANSACTION_DECLINED',
  3: 'TRANSACTION_FAILED',
  4: 'DEVICE_NOT_ACTIVATED',
  5: 'NO_DATA_FOUND',
  6: 'INVALID_CURRENCY',
  7: 'INVALID_AMOUNT',
};

export function statusName(status: number | null): string | null {
  return status !== null && Object.hasOwn(STATUS_NAMES, status) ? STATUS_NAMES[status] : null;
}
