/** An error the command reports in one line and exits with (2: usage, input or podman error). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'CliError';
  }
}
