"""Schedule views: `public` (programme, search, pages; no login), `personal` (stars, my schedule,
private calendar), `exports` (iCal, frab XML/JSON, changelog)."""
