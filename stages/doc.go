// Package stages holds the stages that wait on time or I/O, the policy for
// trying again, and the steps that move a stream through a log's positions:
//
//   - Fetch reads a log through a caller-given open function, reopening it
//     from the cursor after transient failures; a log that replays from
//     before the cursor (the pods/log endpoint resumes from its whole
//     second) is skipped to the nanosecond of the time-plus-count cursor;
//   - Retry is the policy Fetch and every other request of a source use:
//     which errors are transient, the backoff, a server's Retry-After, how
//     many attempts;
//   - Idle, Deadline and Timeouts end a stream that waits too long, and
//     WithDeadline ends a context on the same clock;
//   - Track moves a cursor past every line that goes by;
//   - Recover turns the error that ends a stream into a notice line, last.
//
// Every wait reads a clock.Clock, so that tests drive time with clock.Mock.
package stages
