package rules

import (
	"errors"
	"testing"
)

func TestCheckSameBlockOrder(t *testing.T) {
	for _, c := range []struct {
		init, exec uint32
		ok         bool
	}{
		{0, 1, true},
		{4, 5, true},
		{0, ^uint32(0), true},
		{5, 5, false}, // itself
		{6, 5, false}, // a later log
		{^uint32(0), 0, false},
	} {
		err := CheckSameBlockOrder(c.init, c.exec)
		if (err == nil) != c.ok {
			t.Errorf("init %d, exec %d: %v, want ok=%v", c.init, c.exec, err, c.ok)
		}
		if err != nil && (!errors.Is(err, ErrInitiatedAfterExecuting) || !errors.Is(err, ErrInitiatedInFuture)) {
			t.Errorf("init %d, exec %d: %v does not derive from ErrInitiatedAfterExecuting and ErrInitiatedInFuture", c.init, c.exec, err)
		}
	}
}
