// The test kit's polling helper, re-exported so Warren's own tests and the kit's users wait the same way.
export { DEFAULT_WAIT_TIMEOUT_MS, waitFor, type WaitForOptions } from '@app/testing/poll-until.js';
