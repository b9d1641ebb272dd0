//! Printing helpers shared by the subcommands.

/// The error type of every subcommand: a message for the one-line report on stderr.
pub type CliResult = Result<(), Box<dyn std::error::Error>>;

/// Prints a value as one line of JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> CliResult {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}
