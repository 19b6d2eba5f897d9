// The cursor file: loaded before the first activation, replaced atomically
// after each one, and checked against the kind of cursor its source takes.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/stream"
)

// loadCursor returns the cursor c.cursorFile holds, and whether it holds
// one; a missing or empty file holds none. kind says which cursors the
// source takes.
func (c config) loadCursor(kind stream.CursorKind) (stream.Cursor, bool, error) {
	var at stream.Cursor
	if c.cursorFile == "" {
		return at, false, nil
	}
	text, err := os.ReadFile(c.cursorFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return at, false, nil
	case err != nil:
		return at, false, fmt.Errorf("cursor file: %w", err)
	}
	text = bytes.TrimSpace(text)
	if len(text) == 0 {
		return at, false, nil
	}
	if err := at.UnmarshalText(text); err != nil {
		return at, false, fmt.Errorf("cursor file %s: %w", c.cursorFile, err)
	}
	if err := kind.Check(at); err != nil {
		return at, false, fmt.Errorf("cursor file %s: %w", c.cursorFile, err)
	}
	return at, true, nil
}

// saveCursor replaces c.cursorFile, if set, with src's cursor: it writes a
// new file beside it and renames it over the old one, so that a reader
// finds the old cursor or the new one, never part of one.
func (c config) saveCursor(src activation.Collectable) error {
	if c.cursorFile == "" {
		return nil
	}
	text, err := src.Cursor().MarshalText()
	if err != nil {
		return &cursorFileError{c.cursorFile, err}
	}
	f, err := os.CreateTemp(filepath.Dir(c.cursorFile), "."+filepath.Base(c.cursorFile)+".*")
	if err != nil {
		return &cursorFileError{c.cursorFile, err}
	}
	_, err = f.Write(append(text, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.cursorFile)
	}
	if err != nil {
		os.Remove(f.Name())
		return &cursorFileError{c.cursorFile, err}
	}
	return nil
}

// cursorFileError says that the cursor file could not be written: the next
// run would repeat what this one printed, so it is said even when the
// command was interrupted.
type cursorFileError struct {
	path string
	err  error
}

func (e *cursorFileError) Error() string {
	err := e.err
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		// The path is that of the file written beside it.
		err = pathErr.Err
	}
	return fmt.Sprintf("cursor file %s cannot be saved: %v", e.path, err)
}

func (e *cursorFileError) Unwrap() error { return e.err }
