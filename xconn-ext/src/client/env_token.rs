//! The bearer token the environment gives: `X_BEARER_TOKEN`, or the file
//! `X_BEARER_TOKEN_FILE` names. One reading for [`crate::Client::from_env`]
//! and the `xconn` CLI, so that a service and its operators' tool agree on
//! precedence, trimming and errors.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::InvalidInput;

/// Environment variable read by [`Client::from_env`](crate::Client::from_env)
/// for the token.
pub const TOKEN_ENV: &str = "X_BEARER_TOKEN";
/// Environment variable read by [`Client::from_env`](crate::Client::from_env)
/// for a file holding the token (`-` is stdin), when [`TOKEN_ENV`] is unset.
pub const TOKEN_FILE_ENV: &str = "X_BEARER_TOKEN_FILE";

/// The setting an unreadable token is reported against.
const FIELD: &str = "bearer_token";

/// A bearer token from the environment, and the file it was read from.
///
/// `Debug` shows the file, never the token.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvToken {
    token: String,
    file: Option<PathBuf>,
}

impl fmt::Debug for EnvToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvToken")
            .field("token", &"<redacted>")
            .field("file", &self.file)
            .finish()
    }
}

impl EnvToken {
    /// Read the token as [`Client::from_env`](crate::Client::from_env) and
    /// the CLI do: [`TOKEN_ENV`] as set, or else the content of the file
    /// [`TOKEN_FILE_ENV`] names with trailing whitespace trimmed. `None`
    /// when neither is set.
    ///
    /// # Errors
    ///
    /// [`InvalidInput`] (field `bearer_token`) when both are set (which one
    /// is meant is ambiguous), when [`TOKEN_ENV`] is not UTF-8, and when the
    /// file cannot be read or is empty: the message names the variable and
    /// the path, never the content.
    pub fn from_env() -> Result<Option<Self>, InvalidInput> {
        let var = std::env::var_os(TOKEN_ENV);
        let file = std::env::var_os(TOKEN_FILE_ENV);
        match (var, file) {
            (Some(_), Some(_)) => Err(invalid(format!(
                "both {TOKEN_ENV} and {TOKEN_FILE_ENV} are set; unset one of them"
            ))),
            (Some(token), None) => {
                let token = token
                    .into_string()
                    .map_err(|_| invalid(format!("{TOKEN_ENV} is not valid UTF-8")))?;
                Ok(Some(Self { token, file: None }))
            }
            (None, Some(path)) => {
                let path = PathBuf::from(path);
                Ok(Some(Self {
                    token: read_token_file(&path, TOKEN_FILE_ENV)?,
                    file: Some(path),
                }))
            }
            (None, None) => Ok(None),
        }
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The file it was read from; `None` when it came from [`TOKEN_ENV`].
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The token, consumed.
    pub fn into_token(self) -> String {
        self.token
    }
}

/// The token in a file (`-`: stdin), trailing whitespace (an editor's
/// newline) trimmed, as [`TOKEN_FILE_ENV`] is read. `what` names where the
/// path came from (a variable, a flag) for the error.
///
/// # Errors
///
/// [`InvalidInput`] (field `bearer_token`) naming `what` and the path when
/// the file cannot be read or holds only whitespace. The content is never
/// echoed.
pub fn read_token_file(path: &Path, what: &str) -> Result<String, InvalidInput> {
    let mut text = String::new();
    let read = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| invalid(format!("cannot read {what} {}: {e}", path.display())))?;
    let token = text.trim_end();
    if token.is_empty() {
        return Err(invalid(format!("{what} {} is empty", path.display())));
    }
    Ok(token.to_owned())
}

fn invalid(message: String) -> InvalidInput {
    InvalidInput::new(FIELD, message)
}
