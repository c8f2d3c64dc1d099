//! The rules file (`/etc/container/rules.conf`), in the core syntax of
//! libcgroup's `cgrules.conf`, and matching processes against it. Pure: the
//! user database comes in through [`Directory`], the process as a
//! [`Process`], so everything here is tested on the host.
//!
//! ```text
//! <user>[:<process>]  <subsystems>  <destination>  [options]
//! ```
//!
//! `<user>` is a user name or a numeric uid, `@group` (name or gid), `*`,
//! or `%` (continues the rule above). Names are resolved when the file is
//! loaded; an unknown one is a warning, and its rule never matches.

use std::fmt::Write as _;

/// The user and group database the rules are resolved with.
pub trait Directory {
    /// The uid of a user name.
    fn uid(&self, name: &str) -> Option<u32>;
    /// The gid of a group name.
    fn gid(&self, name: &str) -> Option<u32>;
    /// The uids of a group's members (listed members and the users whose
    /// primary group it is).
    fn member_uids(&self, group: &str) -> Vec<u32>;
    fn user_name(&self, uid: u32) -> Option<String>;
    fn group_name(&self, gid: u32) -> Option<String>;
}

/// A process, as the rules see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// Effective uid and gid (as libcgroup matches).
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
    /// `/proc/<pid>/comm`.
    pub comm: String,
    /// `/proc/<pid>/exe`, when it can be read.
    pub exe: Option<String>,
    pub pgid: u32,
    pub sid: u32,
}

impl Process {
    /// The process name of `%p` and of name rules: the executable's base
    /// name, or the command name.
    pub fn name(&self) -> &str {
        self.exe
            .as_deref()
            .and_then(|e| e.rsplit('/').next())
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.comm)
    }
}

/// Whom a rule is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Who {
    /// `*`
    Anyone,
    /// A user name or number.
    Uid(u32),
    /// `@group`: its gid and its members' uids.
    Group { gid: u32, members: Vec<u32> },
    /// A user or group that does not exist (warned about): never matches.
    Nobody,
}

/// Which processes of the user a rule is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    Any,
    /// An absolute path, compared with `/proc/<pid>/exe`.
    Path(String),
    /// A command name, compared with `comm` and the executable's base name.
    Name(String),
}

/// The hierarchies a rule moves the process in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subsystems {
    /// `*`: every mounted hierarchy.
    All,
    /// Subsystem names and `name=NAME`s.
    List(Vec<String>),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub sticky: bool,
    pub inherit: bool,
    pub ignore: bool,
}

impl Options {
    fn union(self, o: Options) -> Options {
        Options {
            sticky: self.sticky || o.sticky,
            inherit: self.inherit || o.inherit,
            ignore: self.ignore || o.ignore,
        }
    }
}

/// One line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Its line number in the file (from 1).
    pub line: usize,
    pub subsystems: Subsystems,
    /// Relative to the hierarchy root, without leading `/` (empty: the
    /// root); may hold templates.
    pub destination: String,
    pub options: Options,
}

impl Rule {
    /// Whether the destination has templates (and is created on demand).
    pub fn is_template(&self) -> bool {
        self.destination.contains('%')
    }
}

/// A rule line and its `%` continuation lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub who: Who,
    pub what: What,
    /// The first line, then the continuations, in file order.
    pub rules: Vec<Rule>,
}

impl Group {
    pub fn matches(&self, p: &Process) -> bool {
        let who = match &self.who {
            Who::Anyone => true,
            Who::Uid(uid) => p.uid == *uid,
            Who::Group { gid, members } => {
                p.gid == *gid || p.groups.contains(gid) || members.contains(&p.uid)
            }
            Who::Nobody => false,
        };
        who && match &self.what {
            What::Any => true,
            What::Path(path) => p.exe.as_deref() == Some(path.as_str()),
            What::Name(name) => p.comm == *name || p.name() == name,
        }
    }

    /// The options of every line of the group together.
    pub fn options(&self) -> Options {
        self.rules
            .iter()
            .fold(Options::default(), |acc, r| acc.union(r.options))
    }

    pub fn line(&self) -> usize {
        self.rules.first().map(|r| r.line).unwrap_or(0)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    pub groups: Vec<Group>,
}

impl Rules {
    /// The first group that matches the process (first match wins).
    pub fn find(&self, p: &Process) -> Option<&Group> {
        self.groups.iter().find(|g| g.matches(p))
    }

    pub fn len(&self) -> usize {
        self.groups.iter().map(|g| g.rules.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// A parsed file: its rules and what was suspicious but not wrong.
#[derive(Debug)]
pub struct Parsed {
    pub rules: Rules,
    pub warnings: Vec<String>,
}

const TEMPLATES: &str = "uUgGpPrs";

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

fn parse_subsystems(field: &str) -> Result<Subsystems, String> {
    if field == "*" {
        return Ok(Subsystems::All);
    }
    let mut list = Vec::new();
    for item in field.split(',') {
        let ok = match item.strip_prefix("name=") {
            Some(name) => valid_name(name),
            None => {
                !item.is_empty() && item.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            }
        };
        if item == "*" {
            return Err("'*' must be the only subsystem".into());
        }
        if !ok {
            return Err(format!("bad subsystem '{item}'"));
        }
        if !list.iter().any(|s| s == item) {
            list.push(item.to_string());
        }
    }
    Ok(Subsystems::List(list))
}

fn parse_destination(field: &str) -> Result<String, String> {
    let dest = field.trim_matches('/');
    for comp in dest.split('/') {
        if comp == "." || comp == ".." {
            return Err(format!("destination '{field}' has a '{comp}' component"));
        }
        if comp.is_empty() && !dest.is_empty() {
            return Err(format!("destination '{field}' has an empty component"));
        }
    }
    let mut chars = dest.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some(t) if TEMPLATES.contains(t) => {}
                Some(t) => return Err(format!("unknown template '%{t}' in '{field}'")),
                None => return Err(format!("'%' at the end of '{field}'")),
            }
        }
    }
    Ok(dest.to_string())
}

fn parse_options(field: &str) -> Result<Options, String> {
    let mut o = Options::default();
    for opt in field.split(',') {
        match opt {
            "sticky" => o.sticky = true,
            "inherit" => o.inherit = true,
            "ignore" => o.ignore = true,
            _ => return Err(format!("unknown option '{opt}'")),
        }
    }
    Ok(o)
}

fn parse_who(user: &str, dir: &dyn Directory, warn: &mut dyn FnMut(String)) -> Who {
    if user == "*" {
        return Who::Anyone;
    }
    if let Some(group) = user.strip_prefix('@') {
        return match dir.gid(group) {
            Some(gid) => Who::Group {
                gid,
                members: dir.member_uids(group),
            },
            None => {
                warn(format!("no group '{group}': the rule never matches"));
                Who::Nobody
            }
        };
    }
    match dir.uid(user) {
        Some(uid) => Who::Uid(uid),
        None => {
            warn(format!("no user '{user}': the rule never matches"));
            Who::Nobody
        }
    }
}

/// Parses a rules file. `source` names it in messages (`rules.conf:7: ...`).
/// Returns every error, or the rules and the warnings.
pub fn parse(text: &str, source: &str, dir: &dyn Directory) -> Result<Parsed, Vec<String>> {
    let mut groups: Vec<Group> = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    // Whether the last rule line was wrong: its continuations are not
    // reported as orphans.
    let mut last_bad = false;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        // A comment starts with `#` at the beginning of a field.
        let fields: Vec<&str> = raw
            .split_whitespace()
            .take_while(|f| !f.starts_with('#'))
            .collect();
        if fields.is_empty() {
            continue;
        }
        let mut err = |msg: String| errors.push(format!("{source}:{line}: {msg}"));
        if fields.len() < 3 {
            err(format!(
                "expected '<user>[:<process>] <subsystems> <destination> [options]', got '{}'",
                raw.trim()
            ));
            last_bad = true;
            continue;
        }
        if fields.len() > 4 {
            err(format!("too many fields: '{}'", fields[4..].join(" ")));
            last_bad = true;
            continue;
        }
        let (user, process) = match fields[0].split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (fields[0], None),
        };
        let parsed = (|| -> Result<Rule, String> {
            Ok(Rule {
                line,
                subsystems: parse_subsystems(fields[1])?,
                destination: parse_destination(fields[2])?,
                options: match fields.get(3) {
                    Some(o) => parse_options(o)?,
                    None => Options::default(),
                },
            })
        })();
        if user == "%" {
            if process.is_some() {
                err(
                    "a continuation line ('%') takes no process: it continues the rule above"
                        .into(),
                );
                continue;
            }
            match (parsed, groups.last_mut()) {
                (Err(e), _) => err(e),
                (Ok(rule), Some(group)) if !last_bad => group.rules.push(rule),
                (Ok(_), _) if last_bad => {}
                (Ok(_), _) => err("'%' continues the rule above, but there is none".into()),
            }
            continue;
        }
        let what = match process {
            None | Some("*") => Ok(What::Any),
            Some("") => Err("empty process name after ':'".to_string()),
            Some(p) if p.starts_with('/') => Ok(What::Path(p.to_string())),
            Some(p) if p.contains('/') => Err(format!(
                "process '{p}' is neither an absolute path nor a command name"
            )),
            Some(p) => Ok(What::Name(p.to_string())),
        };
        let bad_user = user.is_empty() || user == "@" || user.contains('%');
        match (parsed, what) {
            (Ok(rule), Ok(what)) if !bad_user => {
                let who = parse_who(user, dir, &mut |w| {
                    warnings.push(format!("{source}:{line}: {w}"))
                });
                groups.push(Group {
                    who,
                    what,
                    rules: vec![rule],
                });
                last_bad = false;
            }
            (parsed, what) => {
                if bad_user {
                    err(format!("bad user '{user}'"));
                }
                if let Err(e) = what {
                    err(e);
                }
                if let Err(e) = parsed {
                    err(e);
                }
                last_bad = true;
            }
        }
    }
    if errors.is_empty() {
        Ok(Parsed {
            rules: Rules { groups },
            warnings,
        })
    } else {
        Err(errors)
    }
}

/// A template value made safe as one path component.
fn component(value: &str) -> String {
    let v: String = value
        .chars()
        .map(|c| if c == '/' || c.is_control() { '_' } else { c })
        .collect();
    if v.is_empty() || v == "." || v == ".." {
        "_".into()
    } else {
        v
    }
}

/// The destination with its templates filled in for `p`: `%u` user name
/// (its number when it has none), `%U` uid, `%g` group name, `%G` gid, `%p`
/// process name, `%P` pid, `%r` process group, `%s` session.
pub fn expand(destination: &str, p: &Process, dir: &dyn Directory) -> String {
    let mut out = String::new();
    let mut chars = destination.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let value = match chars.next() {
            Some('u') => dir.user_name(p.uid).unwrap_or_else(|| p.uid.to_string()),
            Some('U') => p.uid.to_string(),
            Some('g') => dir.group_name(p.gid).unwrap_or_else(|| p.gid.to_string()),
            Some('G') => p.gid.to_string(),
            Some('p') => p.name().to_string(),
            Some('P') => p.pid.to_string(),
            Some('r') => p.pgid.to_string(),
            Some('s') => p.sid.to_string(),
            Some(other) => {
                // Not accepted by the parser; kept literally.
                let _ = write!(out, "%{other}");
                continue;
            }
            None => {
                out.push('%');
                continue;
            }
        };
        out.push_str(&component(&value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Db;

    impl Directory for Db {
        fn uid(&self, name: &str) -> Option<u32> {
            match name {
                "root" => Some(0),
                "alice" => Some(1000),
                "bob" => Some(1001),
                n => n.parse().ok(),
            }
        }
        fn gid(&self, name: &str) -> Option<u32> {
            match name {
                "staff" => Some(50),
                "students" => Some(100),
                n => n.parse().ok(),
            }
        }
        fn member_uids(&self, group: &str) -> Vec<u32> {
            if group == "staff" {
                vec![1001]
            } else {
                vec![]
            }
        }
        fn user_name(&self, uid: u32) -> Option<String> {
            match uid {
                0 => Some("root".into()),
                1000 => Some("alice".into()),
                1001 => Some("bob".into()),
                _ => None,
            }
        }
        fn group_name(&self, gid: u32) -> Option<String> {
            (gid == 100).then(|| "students".into())
        }
    }

    fn rules(text: &str) -> Rules {
        parse(text, "rules.conf", &Db).unwrap().rules
    }

    fn errors(text: &str) -> Vec<String> {
        parse(text, "rules.conf", &Db).unwrap_err()
    }

    fn proc(uid: u32, comm: &str, exe: &str) -> Process {
        Process {
            pid: 4242,
            uid,
            gid: 100,
            groups: vec![],
            comm: comm.into(),
            exe: Some(exe.into()),
            pgid: 4240,
            sid: 4000,
        }
    }

    const SAMPLE: &str = "\
# cgrules.conf-style sample
alice:firefox      cpuset        web/browser
alice              cpuset,memset users/alice   # alice's other processes
%                  name=jobs     alice
@staff             *             staff/%u
bob:/usr/bin/make  memset        builds/%U/%p   inherit
*:sshd             *             /              ignore
1000:sleep         cpuset        never
*                  cpuset        others/%g/%P sticky

";

    #[test]
    fn sample_parses() {
        let parsed = parse(SAMPLE, "rules.conf", &Db).unwrap();
        assert!(parsed.warnings.is_empty());
        let r = parsed.rules;
        assert_eq!(r.groups.len(), 7);
        assert_eq!(r.len(), 8);
        assert_eq!(r.groups[0].who, Who::Uid(1000));
        assert_eq!(r.groups[0].what, What::Name("firefox".into()));
        assert_eq!(r.groups[0].rules[0].destination, "web/browser");
        assert_eq!(r.groups[0].rules[0].line, 2);
        // The continuation belongs to alice's second rule.
        assert_eq!(r.groups[1].rules.len(), 2);
        assert_eq!(r.groups[1].rules[1].line, 4);
        assert_eq!(
            r.groups[1].rules[1].subsystems,
            Subsystems::List(vec!["name=jobs".into()])
        );
        assert_eq!(
            r.groups[1].rules[0].subsystems,
            Subsystems::List(vec!["cpuset".into(), "memset".into()])
        );
        assert_eq!(
            r.groups[2].who,
            Who::Group {
                gid: 50,
                members: vec![1001]
            }
        );
        assert_eq!(r.groups[2].rules[0].subsystems, Subsystems::All);
        assert_eq!(r.groups[3].what, What::Path("/usr/bin/make".into()));
        assert!(r.groups[3].options().inherit);
        assert_eq!(r.groups[4].who, Who::Anyone);
        assert!(r.groups[4].options().ignore);
        assert_eq!(r.groups[4].rules[0].destination, "");
        assert!(r.groups[6].options().sticky);
        assert!(r.groups[6].rules[0].is_template());
        assert!(!r.groups[1].rules[0].is_template());
    }

    #[test]
    fn first_match_wins() {
        let r = rules(SAMPLE);
        let ff = proc(1000, "firefox", "/usr/lib/firefox/firefox");
        assert_eq!(r.find(&ff).unwrap().line(), 2);
        let sh = proc(1000, "bash", "/usr/bin/bash");
        let g = r.find(&sh).unwrap();
        assert_eq!(g.line(), 3);
        // Its continuation line comes with it.
        assert_eq!(g.rules.len(), 2);
        // `1000:sleep` is shadowed by alice's catch-all rule.
        let sleep = proc(1000, "sleep", "/usr/bin/sleep");
        assert_eq!(r.find(&sleep).unwrap().line(), 3);
        // Bob is in staff (member list).
        let b = proc(1001, "make", "/usr/bin/make");
        assert_eq!(r.find(&b).unwrap().line(), 5);
        // sshd of anyone but alice and bob is ignored.
        let sshd = proc(0, "sshd", "/usr/sbin/sshd");
        assert!(r.find(&sshd).unwrap().options().ignore);
        let other = proc(7, "x", "/x");
        assert_eq!(r.find(&other).unwrap().line(), 9);
    }

    #[test]
    fn group_by_gid_and_supplementary() {
        let r = rules("@students cpuset s\n@staff cpuset t\n");
        let mut p = proc(5, "x", "/x");
        assert_eq!(r.find(&p).unwrap().line(), 1); // primary gid 100
        p.gid = 7;
        assert!(r.find(&p).is_none());
        p.groups = vec![50];
        assert_eq!(r.find(&p).unwrap().line(), 2);
    }

    #[test]
    fn process_names_and_paths() {
        let r =
            rules("*:/usr/bin/sleep cpuset a\n*:longcommandname12345 cpuset b\n*:sh cpuset c\n");
        assert_eq!(
            r.find(&proc(1, "sleep", "/usr/bin/sleep")).unwrap().line(),
            1
        );
        assert!(r.find(&proc(1, "sleep", "/bin/sleep")).is_none());
        // comm is truncated to 15 bytes; the executable's name is not.
        let long = proc(1, "longcommandname", "/opt/longcommandname12345");
        assert_eq!(r.find(&long).unwrap().line(), 2);
        // A script: comm is the script's name, exe the interpreter.
        let script = proc(1, "sh", "/usr/bin/dash");
        assert_eq!(r.find(&script).unwrap().line(), 3);
    }

    #[test]
    fn numeric_users() {
        let r = rules("1000 cpuset a\n@100 cpuset b\n");
        assert_eq!(r.groups[0].who, Who::Uid(1000));
        assert_eq!(
            r.groups[1].who,
            Who::Group {
                gid: 100,
                members: vec![]
            }
        );
    }

    #[test]
    fn unknown_user_warns() {
        let p = parse(
            "nosuchuser cpuset a\n% memset b\n@nogroup cpuset c\n",
            "r",
            &Db,
        )
        .unwrap();
        assert_eq!(p.warnings.len(), 2);
        assert!(
            p.warnings[0].starts_with("r:1: no user 'nosuchuser'"),
            "{:?}",
            p.warnings
        );
        assert!(p.warnings[1].starts_with("r:3: no group 'nogroup'"));
        assert_eq!(p.rules.groups[0].who, Who::Nobody);
        assert!(p.rules.find(&proc(0, "x", "/x")).is_none());
    }

    #[test]
    fn errors_carry_line_numbers() {
        let e = errors("# c\n\nalice cpuset a stiky\n");
        assert_eq!(e, vec!["rules.conf:3: unknown option 'stiky'"]);
        let e = errors("alice cpuset\n");
        assert!(e[0].starts_with("rules.conf:1: expected"), "{e:?}");
        let e = errors("alice cpuset a ignore extra\n");
        assert_eq!(e, vec!["rules.conf:1: too many fields: 'extra'"]);
        let e = errors("% cpuset a\n");
        assert_eq!(
            e,
            vec!["rules.conf:1: '%' continues the rule above, but there is none"]
        );
        let e = errors("alice cpuset a\n%:sleep cpuset b\n");
        assert!(
            e[0].starts_with("rules.conf:2: a continuation line"),
            "{e:?}"
        );
        let e = errors("alice cpuset a/%x\n");
        assert_eq!(e, vec!["rules.conf:1: unknown template '%x' in 'a/%x'"]);
        let e = errors("alice cpuset ../a\n");
        assert!(e[0].contains("'..'"), "{e:?}");
        let e = errors("alice cpu*set a\n");
        assert_eq!(e, vec!["rules.conf:1: bad subsystem 'cpu*set'"]);
        let e = errors("alice cpuset,* a\n");
        assert!(e[0].contains("only subsystem"));
        let e = errors("alice:bin/sleep cpuset a\n");
        assert!(e[0].contains("neither an absolute path"));
        let e = errors("alice name= a\n");
        assert!(e[0].contains("bad subsystem 'name='"));
        // Every error is reported, each with its line.
        let e = errors("a cpuset x bad\nb cpuset y\nc cpuset z worse\n");
        assert_eq!(e.len(), 2);
        assert!(e[0].starts_with("rules.conf:1:"));
        assert!(e[1].starts_with("rules.conf:3:"));
        // A continuation of a bad line is not reported again.
        let e = errors("a cpuset x bad\n% memset y\n");
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn comments_and_blank_lines() {
        let r = rules("   # indented comment\n\t\nalice cpuset a # trailing\n#alice cpuset b\n");
        assert_eq!(r.groups.len(), 1);
        assert_eq!(r.groups[0].rules[0].options, Options::default());
    }

    #[test]
    fn templates() {
        let mut p = proc(1000, "sleep", "/usr/bin/sleep");
        assert_eq!(
            expand("users/%u/%U/%g/%G/%p/%P/%r/%s", &p, &Db),
            "users/alice/1000/students/100/sleep/4242/4240/4000"
        );
        // Without names: the numbers.
        p.uid = 4321;
        p.gid = 9;
        assert_eq!(expand("u/%u/%g", &p, &Db), "u/4321/9");
        // A value never makes more than one component.
        p.exe = None;
        p.comm = "../x/y".into();
        assert_eq!(expand("p/%p", &p, &Db), "p/.._x_y");
        p.comm = "..".into();
        assert_eq!(expand("p/%p", &p, &Db), "p/_");
    }

    #[test]
    fn destinations_are_normalized() {
        let r = rules("alice cpuset /web/browser/\nbob cpuset /\n");
        assert_eq!(r.groups[0].rules[0].destination, "web/browser");
        assert_eq!(r.groups[1].rules[0].destination, "");
    }
}
