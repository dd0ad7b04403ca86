//! Tracing set up in one place: an `EnvFilter` (RUST_LOG wins over the configured level) and
//! either compact human output or one JSON object per line.

use tracing_subscriber::EnvFilter;

use crate::settings::LogFormat;

/// Where logs go: the service logs to stdout (12-factor); one-shot commands log to stderr so
/// their stdout carries only their result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSink {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Installs the global subscriber. Safe to call more than once (later calls are ignored).
pub fn init(format: LogFormat, level: &str, sink: LogSink) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(move || -> Box<dyn std::io::Write> {
            match sink {
                LogSink::Stdout => Box::new(std::io::stdout()),
                LogSink::Stderr => Box::new(std::io::stderr()),
            }
        });
    let _already_set = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
