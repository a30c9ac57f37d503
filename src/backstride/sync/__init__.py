"""Runs that arrive by themselves: Strava sync and a watched folder.

- :mod:`.strava_api`: a small client of Strava's API v3 (OAuth token exchange, refresh and
  deauthorisation, activities, streams, laps, gear) that reads the rate-limit headers;
- :mod:`.strava_auth`: the authorisation-code flow with a redirect to a loopback address;
- :mod:`.strava`: the sync job (new runs through the same importer path as files, resumable);
- :mod:`.watch`: ``backstride watch DIR...``: files imported as they appear, once complete.

Nothing here is imported by the CLI at start-up; ``httpx`` and ``watchfiles`` load when used.
"""
