-- Reviewing a writing worker's changes: they wait in its layer until applied. `changes`
-- opens them in a diff split, `apply` writes them into the workspace (all or nothing, with
-- the conflicts said), `discard` throws them away.
local client = require('bosun.client')
local views = require('bosun.views')

local M = {}

-- The params naming what a command reviews: an orchestration (o_…: every subtask), a
-- worker, else the last worker; nil (after saying so) when there is none.
local function target(id)
  if id and id:match('^o_') then
    return { orchestrationId = id }, id
  end
  id = client.worker_or_last(id)
  return id and { workerId = id }, id
end

local STATUS_LETTER = { added = 'A', modified = 'M', deleted = 'D' }

-- The split's lines: what the changes are based on, one line per file, then the diff.
function M.lines(name, result)
  local lines = {}
  for _, base in ipairs(result.base) do
    table.insert(lines, string.format('# %s %s, based on %s as of %s', base.workerId, base.state, base.workspace,
      base.startedAt))
  end
  if #result.base == 0 then
    table.insert(lines, '# ' .. name .. ': no layer')
  end
  for _, file in ipairs(result.files) do
    table.insert(lines, string.format('# %s %s  +%d -%d%s', STATUS_LETTER[file.status] or '?', file.path,
      file.additions, file.deletions, #result.base > 1 and ('  (' .. file.workerId .. ')') or ''))
  end
  if #result.files == 0 then
    table.insert(lines, '# no changed files')
  end
  table.insert(lines, '')
  return vim.list_extend(lines, vim.split(result.diff, '\n', { plain = true, trimempty = true }))
end

-- The worker's (or orchestration's) changes in a split `bosun://changes/<id>` with the diff filetype.
function M.changes(id)
  local params, name = target(id)
  if not params then
    return
  end
  client.request('changes', params, function(result)
    views.scratch('bosun://changes/' .. name, M.lines(name, result), 'diff')
  end)
end

-- Writes the changes (only `paths` when given) into the workspace; reports what was written
-- or, when anything conflicts, that nothing was and why.
function M.apply(id, paths)
  local params, name = target(id)
  if not params then
    return
  end
  if paths and #paths > 0 then
    params.paths = paths
  end
  client.request('apply', params, function(result)
    if #result.conflicts > 0 then
      local reasons = vim.tbl_map(function(conflict)
        return string.format('%s (%s): %s', conflict.path, conflict.workerId, conflict.reason)
      end, result.conflicts)
      client.notify(string.format('apply %s: %d conflict(s), %s: %s', name, #result.conflicts,
        #result.applied > 0 and ('applied only ' .. table.concat(result.applied, ', ')) or 'nothing written',
        table.concat(reasons, '; ')), vim.log.levels.WARN)
    else
      client.notify(string.format('applied %s: %s', name, #result.applied > 0 and table.concat(result.applied, ', ')
        or 'nothing left to write'))
    end
    -- Buffers of the files it wrote show the new text.
    vim.cmd('checktime')
    client.refresh()
  end)
end

function M.discard(id)
  local params, name = target(id)
  if not params then
    return
  end
  client.request('discard', params, function(result)
    client.notify(string.format('discarded %s: %s', name,
      #result.discarded > 0 and table.concat(result.discarded, ', ') or 'nothing'))
    client.refresh()
  end)
end

return M
