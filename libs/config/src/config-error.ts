/** A bad configuration value; the message names the variable (apps print it and exit without a stack trace). */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
