// Generates containerctl's man page and shell completions from its command
// line definition (src/cli.rs) into OUT_DIR; `containerctl man` and
// `containerctl completions SHELL` print them.

use clap::CommandFactory;
use std::path::PathBuf as OutPath;

include!("src/cli.rs");

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=src/cli.rs");
    let out = OutPath::from(std::env::var_os("OUT_DIR").ok_or(std::io::ErrorKind::NotFound)?);
    let cmd = Cli::command();
    // containerctl.1, and one page per subcommand (containerctl-mount.1...),
    // listed in pages.rs for `containerctl man [SUBCOMMAND]`.
    let mut index = String::from("pub const PAGES: &[(&str, &str)] = &[\n");
    let mut pages = vec![(String::new(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let name = sub.get_name().to_string();
        let page = sub.clone().name(format!("containerctl-{name}"));
        pages.push((name, page));
    }
    for (name, page) in pages {
        let file = if name.is_empty() {
            "containerctl.1".to_string()
        } else {
            format!("containerctl-{name}.1")
        };
        let mut roff = Vec::new();
        clap_mangen::Man::new(page).render(&mut roff)?;
        std::fs::write(out.join(&file), roff)?;
        index.push_str(&format!(
            "    ({name:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/{file}\"))),\n"
        ));
    }
    index.push_str("];\n");
    std::fs::write(out.join("pages.rs"), index)?;
    for (shell, file) in [
        (clap_complete::Shell::Bash, "containerctl.bash"),
        (clap_complete::Shell::Zsh, "_containerctl"),
        (clap_complete::Shell::Fish, "containerctl.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "containerctl", &mut buf);
        std::fs::write(out.join(file), buf)?;
    }
    Ok(())
}
