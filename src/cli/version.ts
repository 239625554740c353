// The release this build of build-image is; init pins starter workflows to it.
export const VERSION = '0.1.0';
