// The test kit's polling helper, re-exported so Warren's own tests and the kit's users wait the same way.
export { waitFor, type WaitForOptions } from '@app/testing/poll-until.js';
