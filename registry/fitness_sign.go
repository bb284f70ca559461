package registry

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"unicode"
)

// CHIT signatures of fitness events, as the platform's chit_security signs them.

// ErrNoSigningKey means no CHIT signing key is configured. It matches
// ErrUnavailable: the API answers 503 and records nothing.
var ErrNoSigningKey = fmt.Errorf("no CHIT signing key configured (CHIT_SIGNING_KEY, CHIT_PASSPHRASE or their _FILE forms): %w", ErrUnavailable)

// DefaultSigningKeyID is the kid when CHIT_SIGNING_KEY_ID is unset.
const DefaultSigningKeyID = "chit-signing-v01"

// Sign computes the event's CHIT signature as the platform's
// chit_security.sign_cgp does. The kid is CHIT_SIGNING_KEY_ID or
// DefaultSigningKeyID; the key is the first non-empty of
// CHIT_SIGNING_KEY__<KID>, the file named by CHIT_SIGNING_KEY__<KID>_FILE,
// CHIT_SIGNING_KEY, CHIT_SIGNING_KEY_FILE, CHIT_PASSPHRASE,
// CHIT_PASSPHRASE_FILE, where <KID> is SigningKeyEnvName's slug. A file that
// does not exist or is not a regular file is skipped, and its content is
// stripped of surrounding white space, as in Python. No key: ErrNoSigningKey.
func Sign(e FitnessEvent, getenv func(string) string) (Signature, error) {
	kid := getenv("CHIT_SIGNING_KEY_ID")
	if kid == "" {
		kid = DefaultSigningKeyID
	}
	key, err := signingKey(SigningKeyEnvName(kid), getenv)
	if err != nil {
		return Signature{}, err
	}
	msg, err := e.SigningBytes()
	if err != nil {
		return Signature{}, fmt.Errorf("canonical fitness event: %w", err)
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write(msg)
	return Signature{Alg: "HMAC-SHA256", KID: kid, HMAC: base64.StdEncoding.EncodeToString(mac.Sum(nil))}, nil
}

// SigningKeyEnvName is the variable holding the key of one kid, by the
// platform's rule: every run of characters other than ASCII letters and
// digits becomes one "_", leading and trailing "_" are dropped, and the rest
// is upper-cased ("agent-b850-claude" -> CHIT_SIGNING_KEY__AGENT_B850_CLAUDE).
func SigningKeyEnvName(kid string) string {
	var b strings.Builder
	b.WriteString("CHIT_SIGNING_KEY__")
	start, gap := b.Len(), false
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		alnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !alnum {
			gap = true
			continue
		}
		if gap && b.Len() > start {
			b.WriteByte('_')
		}
		gap = false
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func signingKey(kidVar string, getenv func(string) string) (string, error) {
	for _, name := range []string{kidVar, "CHIT_SIGNING_KEY", "CHIT_PASSPHRASE"} {
		if v := getenv(name); v != "" {
			return v, nil
		}
		path := getenv(name + "_FILE")
		if path == "" {
			continue
		}
		st, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || err == nil && !st.Mode().IsRegular() {
			continue
		}
		var b []byte
		if err == nil {
			b, err = os.ReadFile(path)
		}
		if err != nil {
			return "", fmt.Errorf("read the signing key file named by %s: %w", name+"_FILE", err)
		}
		if v := strings.TrimFunc(string(b), pyIsSpace); v != "" {
			return v, nil
		}
	}
	return "", ErrNoSigningKey
}

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }
