package filings

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/platform"
	"github.com/skillcert/skillcert/tenants"
)

// errInstitutionNotFound is an institution outside the regulator's jurisdiction (never reveal it
// exists).
var errInstitutionNotFound = platform.E(platform.KindNotFound, "not_found", "no such institution in your jurisdiction")

// OversightListOf returns a page of one institution's filings for the regulator in ctx (its
// drill-down into the institution), newest first unless req asks otherwise; 404 for an institution
// outside the jurisdiction.
func (s *Service) OversightListOf(ctx context.Context, institutionID uuid.UUID, req platform.PageRequest) (platform.Page[Filing], error) {
	_, ids, err := s.jurisdiction(ctx)
	if err != nil {
		return platform.Page[Filing]{}, err
	}
	if !slices.Contains(ids, institutionID) {
		return platform.Page[Filing]{}, errInstitutionNotFound
	}
	lf, err := filingQuery(req, ListFilter{}, []uuid.UUID{institutionID})
	if err != nil {
		return platform.Page[Filing]{}, err
	}
	var out []Filing
	err = tenants.OversightTx(ctx, s.db, []uuid.UUID{institutionID}, func(ctx context.Context, tx bun.Tx) (err error) {
		out, err = listFilings(ctx, tx, lf, req.Fetch())
		return err
	})
	if err != nil {
		return platform.Page[Filing]{}, err
	}
	return platform.CutPage(out, req, filingCursor), nil
}
