//! Printing helpers shared by the subcommands.

/// The error type of every subcommand: a message for the one-line report on stderr.
pub type CliResult = Result<(), Box<dyn std::error::Error>>;

/// Prints a value as one line of JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> CliResult {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// An error message with the CLI's own words for what would accept the input anyway: the flag,
/// never the library option behind it.
pub fn with_remedy(message: impl std::fmt::Display, remedy: Option<keybridge::tr31::Remedy>) -> String {
    use keybridge::tr31::Remedy;
    match remedy {
        Some(Remedy::AllowWeakWrapping) => format!("{message}; pass --allow-weak to accept it"),
        Some(Remedy::DefaultProfile) => format!("{message}; drop --strict to accept it (with a warning)"),
        Some(Remedy::LenientProfile) => format!("{message}; pass --lenient to accept it"),
        None => message.to_string(),
    }
}

/// A key block given as an argument, or read from standard input when the argument is `-` (so a
/// block in a file or a pipe never has to pass through argv or shell history).
pub fn block_arg(arg: &str) -> Result<String, String> {
    if arg != "-" {
        return Ok(arg.trim().to_owned());
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
        .map_err(|e| format!("reading the key block from standard input: {e}"))?;
    let block = text.trim();
    if block.is_empty() {
        return Err("standard input held no key block".into());
    }
    Ok(block.to_owned())
}

/// Prints the warnings of a block the profile accepted against X9.143, one line each on stderr.
pub fn print_warnings(warnings: &[impl std::fmt::Display]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}
