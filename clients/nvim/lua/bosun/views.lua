-- Scratch splits for what bosun returns: results, verification rounds, a synthesis, an
-- orchestration, events, and the session's HTML timeline.
local client = require('bosun.client')
local config = require('bosun.config')

local M = {}

-- Opens a new scratch split named `name` holding `lines`; returns its buffer.
function M.scratch(name, lines, filetype)
  vim.cmd('botright new')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  pcall(vim.api.nvim_buf_set_name, buf, name)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = filetype or 'markdown'
  return buf
end

local function split_lines(text)
  return vim.split(text or '', '\n', { plain = true })
end

local function result_lines(worker)
  local lines = { string.format('# %s  %s  (%s, %d steps, $%.4f)', worker.id, worker.state, worker.role,
    worker.steps or 0, worker.usage and worker.usage.costUSD or 0), '', '> ' .. (worker.task or ''):gsub('\n', ' '), '' }
  if worker.result then
    vim.list_extend(lines, split_lines(worker.result.text))
  elseif worker.error then
    table.insert(lines, string.format('%s: %s', worker.error.code, worker.error.message))
  end
  table.insert(lines, '')
  return lines
end

function M.show_results(workers)
  local lines = {}
  for _, worker in ipairs(workers) do
    vim.list_extend(lines, result_lines(worker))
  end
  if #lines == 0 then
    lines = { 'No worker finished.' }
  end
  M.scratch('bosun://results', lines)
end

function M.show_verification(result)
  local lines = { string.format('# verify %s: %s after %d round(s)', result.worker.id,
    result.passed and 'passed' or 'FAILED', #result.rounds), '' }
  for _, round in ipairs(result.rounds) do
    table.insert(lines, string.format('## round %d%s', round.round, round.model and (' on ' .. round.model) or ''))
    for _, check in ipairs(round.checks) do
      table.insert(lines, string.format('- %s %s: %s', check.passed and 'pass' or 'FAIL', check.kind, check.summary))
    end
    table.insert(lines, '')
  end
  vim.list_extend(lines, result_lines(result.worker))
  M.scratch('bosun://verify/' .. result.worker.id, lines)
  client.notify(string.format('verify %s: %s', result.worker.id, result.passed and 'passed' or 'failed'),
    result.passed and vim.log.levels.INFO or vim.log.levels.WARN)
end

local function synthesis_lines(result)
  local lines = split_lines(result.text)
  if #(result.conflicts or {}) > 0 then
    vim.list_extend(lines, { '', '## Conflicts' })
    for _, conflict in ipairs(result.conflicts) do
      table.insert(lines, string.format('- %s (%s): %s', conflict.topic, table.concat(conflict.workers, ', '),
        conflict.summary))
    end
  end
  local sources = vim.tbl_map(function(source)
    return source.workerId
  end, result.sources or {})
  vim.list_extend(lines, { '', 'Sources: ' .. table.concat(sources, ', ') })
  if #(result.gaps or {}) > 0 then
    table.insert(lines, 'Gaps: ' .. table.concat(result.gaps, '; '))
  end
  return lines
end

function M.show_synthesis(result)
  M.scratch('bosun://synthesis', synthesis_lines(result))
end

-- An orchestration's answer: its state, each subtask's outcome, the decisions, then the synthesis.
function M.show_orchestration(result)
  local lines = { string.format('# %s %s: %s', result.id, result.state, (result.goal or ''):gsub('\n', ' ')), '',
    string.format('%d workers, $%.4f', #(result.workers or {}), result.usage and result.usage.costUSD or 0) }
  if result.reason then
    vim.list_extend(lines, { '' })
    vim.list_extend(lines, split_lines(result.reason))
  end
  if #(result.verification or {}) > 0 then
    vim.list_extend(lines, { '', '## Subtasks' })
    for _, outcome in ipairs(result.verification) do
      table.insert(lines, string.format('- %s %s (checks %s, %s)%s', outcome.subtask, outcome.status,
        outcome.verification, table.concat(outcome.attempts or {}, ', '),
        outcome.reason and (': ' .. (outcome.reason:gsub('\n', ' '))) or ''))
    end
  end
  if #(result.decisions or {}) > 0 then
    vim.list_extend(lines, { '', '## Decisions' })
    for _, decision in ipairs(result.decisions) do
      table.insert(lines, string.format('- %s %s: %s', decision.kind, decision.subtask, decision.reason))
    end
  end
  if result.synthesis then
    vim.list_extend(lines, { '', '## Synthesis', '' })
    vim.list_extend(lines, synthesis_lines(result.synthesis))
  end
  M.scratch('bosun://orchestrate/' .. result.id, lines)
  local good = result.state == 'succeeded'
  client.notify(string.format('%s %s', result.id, result.state), good and vim.log.levels.INFO or vim.log.levels.WARN)
end

-- One line per event: seq, time, kind, and the detail that matters for that kind.
function M.event_line(event)
  local data = type(event.data) == 'table' and event.data or {}
  local detail = data.tool or data.name or data.message or data.text or data.reason or ''
  if event.kind == 'subtask' then -- an orchestration's subtask moved
    detail = string.format('%s %s %s', data.subtask, data.status, data.workerId or '')
  elseif event.kind == 'plan' and type(data.plan) == 'table' then
    detail = table.concat(vim.tbl_map(function(subtask)
      return subtask.id
    end, data.plan.subtasks or {}), ', ')
  end
  if type(detail) ~= 'string' then
    detail = vim.json.encode(detail)
  end
  return string.format('%4d  %s  %-12s %s', event.seq, (event.at or ''):sub(12, 23), event.kind,
    (detail:gsub('\n', ' ')))
end

function M.show_events(id, events)
  local lines = { string.format('events of %s (%d)', id, #events) }
  for _, event in ipairs(events) do
    table.insert(lines, M.event_line(event))
  end
  M.scratch('bosun://trace/' .. id, lines, 'bosuntrace')
end

-- Writes the session's timeline with `bosun trace html` and opens it in the browser.
function M.open_timeline()
  local session = client.state.info and client.state.info.session
  if not session then
    return client.notify('bosun is not running: no session to show', vim.log.levels.WARN)
  end
  local page = vim.fn.tempname() .. '-bosun-timeline.html'
  local cmd = { config.options.cmd, 'trace', 'html', session.id, '-o', page }
  if config.options.db then
    vim.list_extend(cmd, { '--db', config.options.db })
  end
  if config.options.config then
    vim.list_extend(cmd, { '--config', config.options.config })
  end
  local output = vim.fn.system(cmd)
  if vim.v.shell_error ~= 0 then
    return client.notify('bosun trace html failed: ' .. output, vim.log.levels.ERROR)
  end
  local browser = config.options.browser
  if browser == nil then
    browser = vim.fn.has('mac') == 1 and 'open' or 'xdg-open'
  end
  if browser and vim.fn.executable(browser) == 1 then
    vim.fn.jobstart({ browser, page }, { detach = true })
  end
  client.notify('timeline: ' .. page)
  return page
end

return M
