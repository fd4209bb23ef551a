/** An AWS error as the JSON protocols carry it: `{ "__type": name, "message": … }` with an HTTP status. */
export class AwsError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }

  toJSON(): { __type: string; message: string } {
    return { __type: this.name, message: this.message };
  }
}
