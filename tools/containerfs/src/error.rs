//! Errors that say which file, which value and why, in words.

use std::fmt;
use std::io;
use std::path::PathBuf;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug)]
pub enum Error {
    /// The kernel refused a write to a control file.
    Write {
        path: PathBuf,
        value: String,
        errno: i32,
        /// What the errno means for this file, when known.
        why: Option<String>,
    },
    /// Any other operation on a path failed.
    Io {
        what: String,
        path: PathBuf,
        err: io::Error,
    },
    /// The request itself is wrong (no such hierarchy, bad setup file...).
    Invalid(String),
}

impl Error {
    pub fn io(what: impl Into<String>, path: impl Into<PathBuf>, err: io::Error) -> Self {
        Error::Io {
            what: what.into(),
            path: path.into(),
            err,
        }
    }

    /// The errno behind the error, if the kernel gave one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Write { errno, .. } => Some(*errno),
            Error::Io { err, .. } => err.raw_os_error(),
            Error::Invalid(_) => None,
        }
    }
}

/// `EACCES (Permission denied)`.
pub fn errno_words(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    // std prints "Permission denied (os error 13)".
    let text = text.split(" (os error").next().unwrap_or("").to_string();
    format!("{} ({})", errno_name(errno), text)
}

/// The symbolic name of the errnos the kernel interface uses.
pub fn errno_name(errno: i32) -> String {
    let name = match errno {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::ESRCH => "ESRCH",
        libc::EIO => "EIO",
        libc::E2BIG => "E2BIG",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENODEV => "ENODEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::ERANGE => "ERANGE",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOTEMPTY => "ENOTEMPTY",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        _ => return format!("errno {errno}"),
    };
    name.to_string()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Write {
                path,
                value,
                errno,
                why,
            } => {
                write!(
                    f,
                    "cannot write '{}' to {}: {}",
                    value.trim_end(),
                    path.display(),
                    errno_words(*errno)
                )?;
                if let Some(why) = why {
                    write!(f, ": {why}")?;
                }
                Ok(())
            }
            Error::Io { what, path, err } => match err.raw_os_error() {
                Some(errno) => write!(f, "{what} {}: {}", path.display(), errno_words(errno)),
                None => write!(f, "{what} {}: {err}", path.display()),
            },
            Error::Invalid(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for Error {}
