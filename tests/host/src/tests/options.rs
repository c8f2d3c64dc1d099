// SPDX-License-Identifier: GPL-2.0

//! Tests of `logic::options`: mount option parsing, hierarchy matching and `/proc/mounts` output.

use super::render;
use crate::logic::error::LogicError::{self, Invalid};
use crate::logic::options::{
    format_mount_options, same_hierarchy, Accepted, HierarchyName, MountOptions, Resolved,
    NAME_MAX_LEN, RELEASE_AGENT_MAX_LEN,
};

/// The subsystems of the test registry, by bit index.
pub(super) const SUBSYS: [&str; 3] = ["cpuset", "memset", "net_flow"];

/// Bits of every subsystem in [`SUBSYS`].
pub(super) const ALL: u32 = 0b111;

/// Maps a subsystem name to its bit, like the module's registry.
pub(super) fn lookup(name: &[u8]) -> Option<u32> {
    SUBSYS
        .iter()
        .position(|s| s.as_bytes() == name)
        .and_then(|i| u32::try_from(i).ok())
}

/// Maps a bit to its subsystem name.
pub(super) fn names(bit: u32) -> Option<&'static str> {
    SUBSYS.get(usize::try_from(bit).ok()?).copied()
}

/// Parses a `-o` string the way the VFS splits legacy mount data: on commas, then at the first `=`.
pub(super) fn mount(data: &str) -> Result<Resolved, LogicError> {
    let mut opts = MountOptions::new();
    if !data.is_empty() {
        for option in data.split(',') {
            let (key, value) = match option.split_once('=') {
                Some((k, v)) => (k, Some(v.as_bytes())),
                None => (option, None),
            };
            opts.parse_param(key.as_bytes(), value, &lookup)?;
        }
    }
    opts.finish(ALL)
}

/// Formats the `/proc/mounts` options of a resolved mount.
fn show(opts: &Resolved, release_agent: &str) -> String {
    render(|s| format_mount_options(opts, release_agent.as_bytes(), &names, s))
}

/// Builds a [`HierarchyName`] that is known to be valid.
fn name(s: &str) -> HierarchyName {
    HierarchyName::new(s.as_bytes()).expect("valid name")
}

#[test]
fn default_is_all_subsystems() {
    let all = Resolved {
        subsys_mask: ALL,
        noprefix: false,
        clone_children: false,
        name: None,
    };
    assert_eq!(mount(""), Ok(all));
    assert_eq!(mount("all"), Ok(all));
    assert_eq!(mount("all,all"), Ok(all));
    assert_eq!(
        mount("noprefix,clone_children"),
        Ok(Resolved {
            noprefix: true,
            clone_children: true,
            ..all
        })
    );
    assert_eq!(
        mount("all,name=x"),
        Ok(Resolved {
            name: Some(name("x")),
            ..all
        })
    );
}

#[test]
fn subsystems_by_name() {
    assert_eq!(mount("cpuset").map(|r| r.subsys_mask), Ok(0b001));
    assert_eq!(mount("cpuset,memset").map(|r| r.subsys_mask), Ok(0b011));
    assert_eq!(mount("net_flow,cpuset").map(|r| r.subsys_mask), Ok(0b101));
    assert_eq!(mount("cpuset,cpuset").map(|r| r.subsys_mask), Ok(0b001));
    assert_eq!(
        mount("cpuset,noprefix,name=legacy"),
        Ok(Resolved {
            subsys_mask: 0b001,
            noprefix: true,
            clone_children: false,
            name: Some(name("legacy")),
        })
    );
}

#[test]
fn named_hierarchy_without_subsystems() {
    let empty_named = Ok(Resolved {
        subsys_mask: 0,
        noprefix: false,
        clone_children: false,
        name: Some(name("systemd")),
    });
    assert_eq!(mount("none,name=systemd"), empty_named);
    assert_eq!(mount("name=systemd,none"), empty_named);
    // As in cgroup v1, a name alone does not pull in every subsystem.
    assert_eq!(mount("name=systemd"), empty_named);
}

#[test]
fn option_errors() {
    let bad = [
        // Unknown keys, including an empty option from a stray comma.
        "cpu",
        "cpuset,bogus",
        "cpuset,",
        ",cpuset",
        "CPUSET",
        "xattr",
        // A value on a flag or a subsystem.
        "cpuset=1",
        "all=1",
        "none=",
        "noprefix=yes",
        "clone_children=0",
        // A missing value.
        "name",
        "release_agent",
        // Repeated one-shot options.
        "name=a,name=a",
        "name=a,name=b",
        "release_agent=/a,release_agent=/a",
        // Conflicts, in both orders.
        "all,cpuset",
        "cpuset,all",
        "none,cpuset",
        "memset,none",
        "none,all",
        "all,none",
        "none,all,name=x",
        // A hierarchy with neither subsystems nor a name.
        "none",
        "none,noprefix",
        // Bad names.
        "name=",
        "name=a b",
        "name=a/b",
        "name=a,b=c",
        "name=caf\u{e9}",
        "name=x:y",
        // Bad release agents.
        "release_agent=",
    ];
    for data in bad {
        assert_eq!(mount(data), Err(Invalid), "-o {data:?}");
    }
}

#[test]
fn no_subsystem_available_needs_a_name() {
    let opts = MountOptions::new();
    assert_eq!(opts.finish(0), Err(Invalid));
    let mut named = MountOptions::new();
    assert_eq!(
        named.parse_param(b"name", Some(b"n"), &lookup),
        Ok(Accepted::Recorded)
    );
    assert_eq!(named.finish(0).map(|r| r.subsys_mask), Ok(0));
}

#[test]
fn lookup_beyond_32_subsystems_is_refused() {
    let mut opts = MountOptions::new();
    let wide = |_: &[u8]| Some(32);
    assert_eq!(opts.parse_param(b"huge", None, &wide), Err(Invalid));
    let top = |_: &[u8]| Some(31);
    assert_eq!(opts.parse_param(b"top", None, &top), Ok(Accepted::Recorded));
    assert_eq!(opts.finish(u32::MAX).map(|r| r.subsys_mask), Ok(1 << 31));
}

#[test]
fn hierarchy_names() {
    let longest = "n".repeat(NAME_MAX_LEN);
    assert_eq!(name(&longest).as_str(), longest);
    assert_eq!(name(&longest).as_bytes().len(), NAME_MAX_LEN);
    assert_eq!(
        HierarchyName::new("n".repeat(NAME_MAX_LEN + 1).as_bytes()),
        Err(Invalid)
    );
    assert_eq!(name("A-z_0.9").as_str(), "A-z_0.9");
    assert_eq!(name("..").as_bytes(), b"..");
    for c in 0..=u8::MAX {
        let ok = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-');
        assert_eq!(HierarchyName::new(&[c]).is_ok(), ok, "byte {c:#x}");
    }
    assert_eq!(name("ab"), name("ab"));
    assert_ne!(name("ab"), name("abc"));
    assert_eq!(
        mount(&format!("name={longest}")).map(|r| r.name),
        Ok(Some(name(&longest)))
    );
    assert_eq!(mount(&format!("name={longest}n")), Err(Invalid));
}

#[test]
fn release_agent_is_handed_to_the_caller() {
    let mut opts = MountOptions::new();
    assert_eq!(
        opts.parse_param(b"release_agent", Some(b"/sbin/agent"), &lookup),
        Ok(Accepted::ReleaseAgent(b"/sbin/agent"))
    );
    assert_eq!(
        opts.parse_param(b"release_agent", Some(b"/sbin/other"), &lookup),
        Err(Invalid)
    );
    assert_eq!(
        opts.parse_param(b"cpuset", None, &lookup),
        Ok(Accepted::Recorded)
    );
    assert_eq!(opts.finish(ALL).map(|r| r.subsys_mask), Ok(0b001));

    let longest = vec![b'a'; RELEASE_AGENT_MAX_LEN];
    let mut opts = MountOptions::new();
    assert_eq!(
        opts.parse_param(b"release_agent", Some(&longest), &lookup),
        Ok(Accepted::ReleaseAgent(&longest[..]))
    );
    let too_long = vec![b'a'; RELEASE_AGENT_MAX_LEN + 1];
    let mut opts = MountOptions::new();
    assert_eq!(
        opts.parse_param(b"release_agent", Some(&too_long), &lookup),
        Err(Invalid)
    );
    let mut opts = MountOptions::new();
    assert_eq!(
        opts.parse_param(b"release_agent", Some(b"/a\0b"), &lookup),
        Err(Invalid)
    );
    // A failed option does not count as given.
    assert_eq!(
        opts.parse_param(b"release_agent", Some(b"/a"), &lookup),
        Ok(Accepted::ReleaseAgent(b"/a"))
    );
}

#[test]
fn failed_name_does_not_count_as_given() {
    let mut opts = MountOptions::new();
    assert_eq!(
        opts.parse_param(b"name", Some(b"bad name"), &lookup),
        Err(Invalid)
    );
    assert_eq!(
        opts.parse_param(b"name", Some(b"good"), &lookup),
        Ok(Accepted::Recorded)
    );
}

#[test]
fn hierarchy_reuse() {
    let base = mount("cpuset,memset").expect("valid");
    assert!(same_hierarchy(
        &base,
        &mount("memset,cpuset").expect("valid")
    ));
    assert!(same_hierarchy(
        &base,
        &mount("cpuset,memset,clone_children").expect("valid")
    ));
    assert!(same_hierarchy(
        &base,
        &mount("cpuset,memset,release_agent=/x").expect("valid")
    ));
    assert!(!same_hierarchy(&base, &mount("cpuset").expect("valid")));
    assert!(!same_hierarchy(
        &base,
        &mount("cpuset,memset,noprefix").expect("valid")
    ));
    assert!(!same_hierarchy(
        &base,
        &mount("cpuset,memset,name=a").expect("valid")
    ));
    assert!(!same_hierarchy(
        &mount("cpuset,name=a").expect("valid"),
        &mount("cpuset,name=b").expect("valid")
    ));
    assert!(same_hierarchy(
        &mount("none,name=a").expect("valid"),
        &mount("name=a").expect("valid")
    ));
    assert!(same_hierarchy(
        &mount("").expect("valid"),
        &mount("all").expect("valid")
    ));
}

#[test]
fn proc_mounts_form() {
    let r = |data: &str| mount(data).expect("valid");
    assert_eq!(show(&r("cpuset"), ""), ",cpuset");
    assert_eq!(
        show(&r("memset,cpuset,noprefix,name=x"), ""),
        ",cpuset,memset,noprefix,name=x"
    );
    assert_eq!(show(&r(""), ""), ",cpuset,memset,net_flow");
    assert_eq!(show(&r("none,name=systemd"), ""), ",name=systemd");
    assert_eq!(
        show(&r("name=n,clone_children,noprefix,cpuset"), "/sbin/agent"),
        ",cpuset,noprefix,release_agent=/sbin/agent,clone_children,name=n"
    );
}

#[test]
fn proc_mounts_escapes_the_release_agent() {
    let r = mount("cpuset").expect("valid");
    assert_eq!(
        show(&r, "/a b,c=d\\e\tf\ng"),
        ",cpuset,release_agent=/a\\040b\\054c\\075d\\134e\\011f\\012g"
    );
    let rendered = render(|s| format_mount_options(&r, b"/\xff", &names, s));
    assert_eq!(rendered, ",cpuset,release_agent=/\\377");
}

#[test]
fn proc_mounts_skips_unknown_bits() {
    let r = Resolved {
        subsys_mask: 0b1000_0101,
        noprefix: false,
        clone_children: false,
        name: None,
    };
    assert_eq!(show(&r, ""), ",cpuset,net_flow");
}
