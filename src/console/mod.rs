//! The full-screen terminal console. Owned by the console work stream.

use clap::Args;

#[derive(Debug, Clone, Default, Args)]
pub struct ConsoleArgs {
    /// Central API to connect to; without it an embedded local server runs.
    #[arg(long, env = "BEYAZMASA_SERVER")]
    pub server: Option<String>,
}

pub fn run(_args: ConsoleArgs) -> anyhow::Result<()> {
    anyhow::bail!("the console is not built yet")
}
