-- :checkhealth bosun — the binary, its version, its configuration and the provider keys.
local config = require('bosun.config')

local M = {}

-- Neovim 0.10 has vim.health.start/ok/…; 0.7 to 0.9 have require('health').report_*.
local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local error = health.error or health.report_error
local info = health.info or health.report_info

-- The variables that hold provider keys (`apiKeyEnv: ANTHROPIC_API_KEY` in `bosun config check`).
local function key_variables(output)
  local keys, seen = {}, {}
  for key in output:gmatch('apiKeyEnv:%s*([%w_]+)') do
    if not seen[key] then
      seen[key] = true
      table.insert(keys, key)
    end
  end
  return keys
end

function M.check()
  start('bosun')
  local cmd = config.options.cmd
  local path = vim.fn.exepath(cmd)
  if path == '' then
    return error(string.format("'%s' is not an executable on $PATH", cmd),
      { "install bosun, or set require('bosun').setup{cmd = '/path/to/bosun'}" })
  end
  ok('bosun found: ' .. path)

  local version = vim.fn.system({ cmd, '--version' })
  if vim.v.shell_error ~= 0 then
    return error('`bosun --version` failed: ' .. version)
  end
  ok('version: ' .. vim.trim(version))

  local check_cmd = { cmd, 'config', 'check' }
  if config.options.config then
    vim.list_extend(check_cmd, { '--config', config.options.config })
  end
  local output = vim.fn.system(check_cmd)
  if vim.v.shell_error ~= 0 then
    return error('the configuration is not valid (`' .. table.concat(check_cmd, ' ') .. '`):\n' .. output)
  end
  ok('configuration valid (`' .. table.concat(check_cmd, ' ') .. '`)')

  local any_key = false
  for _, key in ipairs(key_variables(output)) do
    if vim.env[key] and vim.env[key] ~= '' then
      ok(key .. ' is set')
      any_key = true
    else
      warn(key .. ' is not set: workers on models of its provider cannot run', { 'export ' .. key .. '=…' })
    end
  end
  if not any_key then
    info('no provider key found set; workers can only use keyless providers (local servers, the mock provider)')
  end
end

return M
