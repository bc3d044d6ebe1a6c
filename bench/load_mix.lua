-- The request mix of bench/load_test.sh: each wrk connection rotates through metadata and value
-- routes of three plugins. The ids come from the environment (load_test.sh creates the data):
--   LOAD_AUTH      the Authorization header (a user: writes and ufdl need one; reads send it too)
--   LOAD_DOMAIN    the hdf domain (?domain=), LOAD_DSET its float64 dataset, LOAD_ROWS/LOAD_COLS
--                  the dataset's shape
--   LOAD_SYN       a synapse dataset id
--   LOAD_UFDL_LIST the JSON filter of the ufdl list
-- Hyperslab offsets move with a per-connection counter, so that not every read hits the same
-- chunk.
local auth = os.getenv("LOAD_AUTH")
local q = "?domain=" .. os.getenv("LOAD_DOMAIN")
local dset = os.getenv("LOAD_DSET")
local rows = tonumber(os.getenv("LOAD_ROWS"))
local cols = tonumber(os.getenv("LOAD_COLS"))
local syn = os.getenv("LOAD_SYN")
local list = os.getenv("LOAD_UFDL_LIST")

local json = { Authorization = auth }
local binary = { Authorization = auth, Accept = "application/octet-stream" }
local post = { Authorization = auth, ["Content-Type"] = "application/json" }

local n = 0

local function slab(i, h, w)
  local r = (i * 37) % (rows - h)
  local c = (i * 101) % (cols - w)
  return string.format("[%d:%d,%d:%d]", r, r + h, c, c + w)
end

local requests = {
  function(i) return wrk.format("GET", "/" .. q, json) end,
  function(i) return wrk.format("GET", "/datasets/" .. dset .. q, json) end,
  -- 16x16 float64 as JSON
  function(i) return wrk.format("GET", "/datasets/" .. dset .. "/value" .. q .. "&select=" .. slab(i, 16, 16), json) end,
  -- 64x256 float64 as binary: 128 KiB
  function(i) return wrk.format("GET", "/datasets/" .. dset .. "/value" .. q .. "&select=" .. slab(i, 64, 256), binary) end,
  function(i) return wrk.format("GET", "/repo/v1/dataset/" .. syn, json) end,
  function(i) return wrk.format("GET", "/repo/v1/dataset/" .. syn .. "/annotations", json) end,
  function(i) return wrk.format("POST", "/v1/datasets/list", post, list) end,
}

function init(args)
  -- wrk's threads each have their own counter; start them apart.
  n = math.random(0, 1000)
end

function request()
  n = n + 1
  return requests[(n % #requests) + 1](n)
end
