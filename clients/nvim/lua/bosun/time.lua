-- RFC 3339 UTC timestamps (as bosun sends them) to epoch seconds, and short durations.
local M = {}

-- Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
local function days_from_civil(y, m, d)
  if m <= 2 then
    y = y - 1
  end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- Seconds since the epoch of `2026-11-22T00:13:31.517Z` (or with an offset), or nil.
function M.parse(text)
  if type(text) ~= 'string' then
    return nil
  end
  local y, mo, d, h, mi, s, frac, zone = text:match('^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)(%.?%d*)(.*)$')
  if not y then
    return nil
  end
  local seconds = days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400
    + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s) + (tonumber('0' .. frac) or 0)
  local sign, oh, om = zone:match('^([+-])(%d%d):(%d%d)$')
  if sign then
    local offset = tonumber(oh) * 3600 + tonumber(om) * 60
    seconds = sign == '+' and seconds - offset or seconds + offset
  end
  return seconds
end

-- Now, in epoch seconds with a fraction.
function M.now()
  local sec, usec = (vim.uv or vim.loop).gettimeofday()
  return sec + usec / 1e6
end

-- `4.2s`, `3m07s`, `1h02m`.
function M.duration(seconds)
  if not seconds or seconds < 0 then
    return '-'
  end
  if seconds < 60 then
    return string.format('%.1fs', seconds)
  elseif seconds < 3600 then
    return string.format('%dm%02ds', math.floor(seconds / 60), math.floor(seconds % 60))
  end
  return string.format('%dh%02dm', math.floor(seconds / 3600), math.floor(seconds % 3600 / 60))
end

return M
