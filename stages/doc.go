// Package stages holds the stages that wait on time or I/O, and the steps that
// move a stream through a log's positions:
//
//   - Fetch reads a log through a caller-given open function, reopening it
//     from the cursor after transient failures with backoff on an injected
//     clock, honouring a server's Retry-After;
//   - Resume skips what a reopened log replays before a cursor, to the
//     nanosecond (the time-plus-count cursor of stream.Cursor);
//   - Idle, Deadline and Timeouts end a stream that waits too long;
//   - Track moves a cursor past every line that goes by;
//   - Recover turns the error that ends a stream into a notice line, last.
//
// Every wait reads a clock.Clock, so that tests drive time with clock.Mock.
package stages
