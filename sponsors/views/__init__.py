"""Sponsor views: `public` (sponsors page), `attendee` (recruitment profile and consent),
`portal` (recruiters: search, profiles, CVs, shortlist, export, tokens, access figures),
`interviews` (rooms, slots, invitations), `passes` (complimentary passes)."""
