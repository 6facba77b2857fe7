-- What the headless Neovim tests share: failing with the notifications seen, waiting for a
-- condition (never for the clock), and vim.notify captured. Loaded with dofile by each script.
local M = {}

-- Every vim.notify, in order: { message, level }.
M.notes = {}

vim.notify = function(message, level)
  table.insert(M.notes, { message = message, level = level or vim.log.levels.INFO })
end

-- Every deprecated API the plugin calls, which `run` refuses (Neovim 0.11+ warns through vim.deprecate).
M.deprecated = {}
local deprecate = vim.deprecate
vim.deprecate = function(name, ...)
  table.insert(M.deprecated, name .. '\n' .. debug.traceback('', 2))
  return deprecate(name, ...)
end
-- APIs deprecated without a runtime warning: counted on the versions that deprecated them.
if vim.fn.has('nvim-0.11') == 1 then
  local set_option = vim.api.nvim_buf_set_option
  vim.api.nvim_buf_set_option = function(...)
    table.insert(M.deprecated, 'nvim_buf_set_option\n' .. debug.traceback('', 2))
    return set_option(...)
  end
  local uv = vim.uv
  vim.loop = setmetatable({}, { __index = function(_, key)
    table.insert(M.deprecated, 'vim.loop.' .. key .. '\n' .. debug.traceback('', 2))
    return uv[key]
  end })
end

function M.fail(message)
  io.stderr:write('FAIL: ' .. message .. '\n')
  for _, note in ipairs(M.notes) do
    io.stderr:write(string.format('notified (level %d): %s\n', note.level, note.message))
  end
  vim.cmd('cquit 1')
end

function M.check(condition, message)
  if not condition then
    M.fail(message)
  end
end

function M.wait_for(what, condition, timeout_ms)
  if not vim.wait(timeout_ms or 30000, condition, 20) then
    M.fail('timed out waiting for ' .. what)
  end
end

-- The first notification matching `pattern` (at `level`, when given).
function M.noted(pattern, level)
  for _, note in ipairs(M.notes) do
    if note.message:match(pattern) and (level == nil or note.level == level) then
      return note.message
    end
  end
end

function M.buffer_lines(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end

-- Runs the test body; says `ok` and quits, or fails with its error or the deprecated APIs it called.
function M.run(body)
  local ok, err = pcall(body)
  if not ok then
    M.fail(tostring(err))
  end
  M.check(#M.deprecated == 0, 'the plugin called deprecated APIs:\n' .. table.concat(M.deprecated, '\n'))
  io.stdout:write('ok\n')
  vim.cmd('qall!')
end

return M
